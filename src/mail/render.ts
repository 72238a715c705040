import { fileURLToPath } from "node:url";
import { Eta } from "eta";
import type { SendMailOptions } from "nodemailer";
import type { Config } from "../config.js";
import type { DeliveryRow, EmailFacts, EventRow } from "./email-facts.js";
import { buildEmailView, type EmailView } from "./email-view.js";
import { buildSessionsCalendar } from "./ics.js";
import { noLinkTokens, type LinkTokens } from "./link-tokens.js";

const templatesDir = fileURLToPath(new URL("./templates/", import.meta.url));

/*
 * Two Eta engines over the same kinds: the HTML one escapes every interpolation (only
 * the layout's body and partials, themselves rendered by Eta, are inserted raw); the text
 * one must not, or "Smith & Jones" would arrive as "Smith &amp; Jones".
 */
const htmlEngine = new Eta({ views: `${templatesDir}html`, autoEscape: true, cache: true });
const textEngine = new Eta({ views: `${templatesDir}text`, autoEscape: false, cache: true, autoTrim: false });

/**
 * Whether the message carries the sessions as an .ics, and what it asks of the calendar:
 * the booking and every schedule change add or update them; a cancelled event, or the
 * cancellation of a registration that had been sent them, removes them again.
 */
function calendarModeFor(delivery: DeliveryRow, facts: EmailFacts): "publish" | "cancel" | null {
  if (!facts.event || !facts.sessions.some((session) => session.kind === "LIVE")) return null;
  const eventCancelled = facts.event.status === "CANCELLED";
  switch (delivery.kind) {
    case "BOOKING_CONFIRMED":
    case "EVENT_CHANGED":
      return eventCancelled ? "cancel" : "publish";
    case "REGISTRATION_CANCELLED":
      return facts.calendarSent ? "cancel" : null;
    default:
      return null;
  }
}

/** "BOOKING_CONFIRMED" → "booking-confirmed": the template file of each kind. */
export function templateNameFor(kind: DeliveryRow["kind"]): string {
  return kind.toLowerCase().replace(/_/g, "-");
}

export interface RenderedEmail {
  view: EmailView;
  text: string;
  html: string;
  /** The .ics text when the kind carries one and the event has live sessions. */
  calendar: string | null;
}

/** `links`: the tokens minted for this send; the result is for the transport only, never stored. */
export function renderEmail(config: Config, delivery: DeliveryRow, facts: EmailFacts, now: Date, links: LinkTokens = noLinkTokens): RenderedEmail {
  const event = facts.event;
  const mode = calendarModeFor(delivery, facts);
  const calendar =
    mode && event ? buildSessionsCalendar({ ...facts, event }, { now, cancel: mode === "cancel", organizer: organizerFor(config, event), reference: facts.registration?.reference ?? null }) : null;
  const view = buildEmailView(config, delivery, facts, { calendar: mode, links, now });
  const name = templateNameFor(delivery.kind);
  return { view, text: tidyText(textEngine.render(name, view)), html: htmlEngine.render(name, view), calendar };
}

/** Optional blocks leave runs of blank lines behind: one blank line between paragraphs is enough. */
function tidyText(text: string): string {
  return `${text.replace(/[ \t]+$/gm, "").replace(/\n{3,}/g, "\n\n").trim()}\n`;
}

/** The event's contact organises the sessions; the sender address stands in when there is none. */
function organizerFor(config: Config, event: EventRow): { name: string; email: string } {
  if (event.contactEmail) return { name: event.contactName ?? event.title, email: event.contactEmail };
  const sender = /^(.*?)\s*<([^>]+)>\s*$/.exec(config.mailFrom);
  return sender ? { name: sender[1]!.replace(/^"|"$/g, "") || event.title, email: sender[2]! } : { name: event.title, email: config.mailFrom };
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
    attachments: rendered.calendar
      ? [{ filename: view.calendar === "cancel" ? "cancelled.ics" : "sessions.ics", content: rendered.calendar, contentType: `text/calendar; charset=utf-8; method=${view.calendar === "cancel" ? "CANCEL" : "PUBLISH"}` }]
      : [],
  };
}
