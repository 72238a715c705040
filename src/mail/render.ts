import { fileURLToPath } from "node:url";
import { Eta } from "eta";
import type { SendMailOptions } from "nodemailer";
import type { Config } from "../config.js";
import { calendarsFor, type CalendarAttachment } from "./calendar-attachments.js";
import type { DeliveryRow, EmailFacts } from "./email-facts.js";
import { buildEmailView, type EmailView } from "./email-view.js";
import { noLinkTokens, type LinkTokens } from "./link-tokens.js";
import { noAttendanceExtras, type AttendanceMailExtras } from "./attendance-mail.js";

const templatesDir = fileURLToPath(new URL("./templates/", import.meta.url));

/*
 * Two Eta engines over the same kinds: the HTML one escapes every interpolation (only
 * the layout's body and partials, themselves rendered by Eta, are inserted raw); the text
 * one must not, or "Smith & Jones" would arrive as "Smith &amp; Jones".
 */
const htmlEngine = new Eta({ views: `${templatesDir}html`, autoEscape: true, cache: true });
const textEngine = new Eta({ views: `${templatesDir}text`, autoEscape: false, cache: true, autoTrim: false });

/** "BOOKING_CONFIRMED" → "booking-confirmed": the template file of each kind. */
export function templateNameFor(kind: DeliveryRow["kind"]): string {
  return kind.toLowerCase().replace(/_/g, "-");
}

export interface RenderedEmail {
  view: EmailView;
  text: string;
  html: string;
  /** The .ics files the message carries (none, one, or the sessions plus the removed ones). */
  calendars: CalendarAttachment[];
  /** The check-in QR image or the certificate PDF (attendance-mail.ts). */
  extras: AttendanceMailExtras;
}

/** `links`: the tokens minted for this send; the result is for the transport only, never stored. */
export function renderEmail(config: Config, delivery: DeliveryRow, facts: EmailFacts, now: Date, links: LinkTokens = noLinkTokens, extras: AttendanceMailExtras = noAttendanceExtras): RenderedEmail {
  const calendars = calendarsFor(config, delivery, facts, now);
  const view = buildEmailView(config, delivery, facts, { calendar: calendars.mode, links, now, removedSessions: calendars.removed, removesSessions: calendars.removesSessions, checkIn: extras.checkIn, certificate: extras.certificate });
  const name = templateNameFor(delivery.kind);
  return { view, text: tidyText(textEngine.render(name, view)), html: htmlEngine.render(name, view), calendars: calendars.attachments, extras };
}

/** Optional blocks leave runs of blank lines behind: one blank line between paragraphs is enough. */
function tidyText(text: string): string {
  return `${text.replace(/[ \t]+$/gm, "").replace(/\n{3,}/g, "\n\n").trim()}\n`;
}

/**
 * The complete message for nodemailer. The Message-ID is the delivery's own, the same on
 * every attempt, so a receiver (or a person) can tell a retried copy from a new email.
 */
export function composeMessage(config: Config, delivery: DeliveryRow, rendered: RenderedEmail, now: Date): SendMailOptions {
  const { view } = rendered;
  const toRegistrant = view.firstName !== null && view.registration !== null && delivery.to.toLowerCase() === view.registration.attendeeEmail.toLowerCase();
  const headers: Record<string, string> = { "Auto-Submitted": "auto-generated" };
  return {
    from: config.mailFrom,
    to: toRegistrant ? { name: view.registration!.attendeeName, address: delivery.to } : delivery.to,
    // Registrants' questions should reach the people running the course, not the robot.
    replyTo: toRegistrant && view.contact?.email ? { name: view.contact.name ?? "", address: view.contact.email } : undefined,
    subject: delivery.subject,
    messageId: delivery.messageId,
    date: now,
    headers,
    list: view.newsletter?.unsubscribeUrl ? { unsubscribe: view.newsletter.unsubscribeUrl } : undefined,
    text: rendered.text,
    html: rendered.html,
    attachments: [
      ...rendered.calendars.map((calendar) => ({ filename: calendar.filename, content: calendar.content, contentType: `text/calendar; charset=utf-8; method=${calendar.method}` })),
      ...rendered.extras.attachments,
    ],
  };
}
