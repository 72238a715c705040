import { formatMoney } from "../common/money.js";
import { formatDate, formatDateSpan, formatDateTime, formatSessionRange } from "../common/time.js";
import type { Config } from "../config.js";
import type { DeliveryRow, EmailFacts } from "./email-facts.js";
import type { LinkTokens } from "./link-tokens.js";
import type { AttendanceMailExtras } from "./attendance-mail.js";
import type { RemovedSession } from "./removed-sessions.js";
import { adminConsoleLink, manageLink, newsletterLinks, signInLink, signInPage } from "./links.js";
import { accessibilityFacts, addressLines, mapLink } from "./venue-format.js";
import { accessOpensAt } from "../modules/events/event-rules.js";
import { paymentIsDue, paymentUrlFor } from "../modules/registrations/payment-link.js";

/*
 * What a template sees: plain strings and lists, already formatted in the event's zone.
 * Templates decide wording and layout only; every fact is computed here once, so the
 * text and HTML parts can never disagree.
 */

export interface SessionView {
  title: string;
  live: boolean;
  /** "Wed 4 Oct 2023, 8:30 am – 4:30 pm PDT". */
  when: string;
  /** Only when the session is somewhere other than the event's venue. */
  venueName: string | null;
}

export interface VenueView {
  name: string;
  addressLines: string[];
  mapUrl: string;
  accessibility: string[];
  accessibilityInfoUrl: string | null;
}

export interface MoneyView {
  free: boolean;
  due: string;
  paid: string;
  balance: string;
  paidInFull: boolean;
  /** Something paid, not everything. */
  partlyPaid: boolean;
}

export interface EmailView {
  kind: DeliveryRow["kind"];
  subject: string;
  /** "Ada", or null when the recipient is not a registrant (the event contact, a subscriber). */
  firstName: string | null;
  event: {
    title: string;
    cancelled: boolean;
    cancelReason: string | null;
    online: boolean;
    /** "4 Oct 2023". */
    startDate: string;
    /** The course's days: "4–6 Oct 2023", or one date for a one-day course. */
    dates: string;
    sessions: SessionView[];
    liveHours: number | null;
    selfGuidedHours: number | null;
    programmeLength: string | null;
  } | null;
  venue: VenueView | null;
  registration: {
    reference: string;
    status: string;
    attendeeName: string;
    attendeeEmail: string;
    waitlistPosition: number | null;
    /** When a place offered from the waitlist passes on, in the event's zone. */
    offerExpiresAt: string | null;
    accessibilityNeeds: string | null;
  } | null;
  money: MoneyView | null;
  contact: { name: string | null; phone: string | null; email: string | null } | null;
  prerequisite: {
    title: string;
    url: string | null;
    durationHours: number | null;
    /** When access opens (or opened), in the event's zone. */
    opensAt: string | null;
    granted: boolean;
  } | null;
  /** While money is due (payment-link.ts): the booking partner's payment page for this registration, and/or the event's instructions. */
  payment: { url: string | null; instructions: string | null } | null;
  /** PAYMENT_RECEIVED: the figures at the moment of the payment. */
  receipt: { amount: string; method: string; reference: string | null; paidSoFar: string; remaining: string; paidInFull: boolean } | null;
  /** WEBHOOK_ENDPOINT_FAILING: which endpoint, and what became of it. */
  webhook: { url: string; status: string; failingSince: string; lastError: string | null } | null;
  /** Where the registrant manages the booking: a manage link, or the sign-in page. */
  manageUrl: string;
  /** True when manageUrl carries this registration's own token. */
  manageUrlIsPersonal: boolean;
  /** Kind-specific facts from the delivery's payload. */
  note: string | null;
  reason: string | null;
  lapsed: boolean;
  reminderDays: number | null;
  /** expiresAt in the zone of the person's course ("Thu 1 Jun 2023, 5:20 am PDT"); validFor as a duration ("20 minutes"). */
  signIn: { url: string; expiresAt: string; validFor: string } | null;
  newsletter: { confirmUrl: string | null; unsubscribeUrl: string | null } | null;
  adminConsoleUrl: string;
  /** The attached .ics: "publish" adds or updates the sessions, "cancel" removes them; null when none. */
  calendar: "publish" | "cancel" | null;
  hasCalendar: boolean;
  /** Live sessions this change took out of the course (EVENT_CHANGED). */
  removedSessions: SessionView[];
  /** Whether removed-sessions.ics is attached to take them out of the recipient's calendar. */
  calendarRemovesSessions: boolean;
  /** BOOKING_CONFIRMED: the check-in code, and the Content-ID of its QR image. */
  checkIn: AttendanceMailExtras["checkIn"];
  /** CERTIFICATE_ISSUED: what the attached certificate says. */
  certificate: AttendanceMailExtras["certificate"];
}

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

function moneyView(amountDueMinor: number, amountPaidMinor: number, currency: string | null): MoneyView {
  if (amountDueMinor === 0 || !currency) return { free: true, due: "Free", paid: "Nothing to pay", balance: "Nothing to pay", paidInFull: true, partlyPaid: false };
  return {
    free: false,
    due: formatMoney(amountDueMinor, currency),
    paid: formatMoney(amountPaidMinor, currency),
    balance: formatMoney(Math.max(0, amountDueMinor - amountPaidMinor), currency),
    paidInFull: amountPaidMinor >= amountDueMinor,
    partlyPaid: amountPaidMinor > 0 && amountPaidMinor < amountDueMinor,
  };
}

function paymentView(facts: EmailFacts): EmailView["payment"] {
  const { registration, event } = facts;
  if (!registration || !event) return null;
  // Instructions alone (a bank transfer, no payment page) are shown as well.
  if (!paymentIsDue(registration, facts.amountPaidMinor)) return null;
  const url = paymentUrlFor(event.paymentUrlTemplate, registration, facts.amountPaidMinor);
  const instructions = text(event.paymentInstructions);
  if (!url && !instructions) return null;
  return { url, instructions };
}

/** "20 minutes", "1 hour": how long a link stays valid from the moment it is sent. */
function duration(milliseconds: number): string {
  const minutes = Math.max(1, Math.round(milliseconds / 60_000));
  if (minutes % 60 !== 0) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = minutes / 60;
  return `${hours} hour${hours === 1 ? "" : "s"}`;
}

/** `links`: the tokens minted for this send (link-tokens.ts); the payload never carries one. */
export function buildEmailView(config: Config, delivery: DeliveryRow, facts: EmailFacts, options: {
    calendar: "publish" | "cancel" | null;
    links: LinkTokens;
    now: Date;
    removedSessions?: RemovedSession[];
    removesSessions?: boolean;
    checkIn?: AttendanceMailExtras["checkIn"];
    certificate?: AttendanceMailExtras["certificate"];
  }): EmailView {
  const { registration, event } = facts;
  const payload = delivery.payload;
  const zone = event?.timeZone ?? "UTC";
  const venueRow = event?.venueId ? (facts.venues.get(event.venueId) ?? null) : null;
  const { manageToken, signIn, newsletter } = options.links;
  const toRegistrant = !!registration && delivery.to.toLowerCase() === registration.email.toLowerCase();
  const reminderDays = typeof payload.days === "number" ? payload.days : null;

  return {
    kind: delivery.kind,
    subject: delivery.subject,
    firstName: toRegistrant ? registration.firstName : text(payload.firstName),
    event: event
      ? {
          title: event.title,
          cancelled: event.status === "CANCELLED",
          cancelReason: event.cancelReason,
          online: event.format === "ONLINE",
          startDate: formatDate(event.startsAt, zone),
          dates: formatDateSpan(event.startsAt, event.endsAt, zone),
          sessions: facts.sessions.map((session) => ({
            title: session.title,
            live: session.kind === "LIVE",
            when: formatSessionRange(session.startsAt, session.endsAt, zone),
            venueName: session.venueId && session.venueId !== event.venueId ? (facts.venues.get(session.venueId)?.name ?? null) : null,
          })),
          liveHours: event.liveHours,
          selfGuidedHours: event.selfGuidedHours,
          programmeLength: event.programmeLength,
        }
      : null,
    venue: venueRow
      ? {
          name: venueRow.name,
          addressLines: addressLines(venueRow),
          mapUrl: mapLink(venueRow),
          accessibility: accessibilityFacts(venueRow),
          accessibilityInfoUrl: venueRow.accessibilityInfoUrl,
        }
      : null,
    registration: registration
      ? {
          reference: registration.reference,
          status: registration.status,
          attendeeName: `${registration.firstName} ${registration.lastName}`,
          attendeeEmail: registration.email,
          waitlistPosition: facts.waitlistPosition,
          offerExpiresAt: registration.offerExpiresAt ? formatDateTime(registration.offerExpiresAt, zone) : null,
          accessibilityNeeds: registration.accessibilityNeeds,
        }
      : null,
    money: registration ? moneyView(registration.amountDueMinor, facts.amountPaidMinor, registration.currency) : null,
    contact: event && (event.contactName || event.contactPhone || event.contactEmail) ? { name: event.contactName, phone: event.contactPhone, email: event.contactEmail } : null,
    prerequisite:
      event && facts.prerequisite
        ? {
            title: facts.prerequisite.title,
            url: facts.prerequisite.url,
            durationHours: facts.prerequisite.durationHours,
            opensAt: formatDateTime(registration?.accessGrantedAt ?? registration?.accessScheduledFor ?? accessOpensAt(event, facts.prerequisite), zone),
            granted: !!registration?.accessGrantedAt && !registration.accessRevokedAt,
          }
        : null,
    payment: paymentView(facts),
    receipt:
      delivery.kind === "PAYMENT_RECEIVED"
        ? {
            amount: text(payload.amount) ?? "",
            method: text(payload.method) ?? "",
            reference: text(payload.reference),
            paidSoFar: text(payload.paidSoFar) ?? "",
            remaining: text(payload.remaining) ?? "",
            paidInFull: payload.paidInFull === true,
          }
        : null,
    webhook:
      delivery.kind === "WEBHOOK_ENDPOINT_FAILING"
        ? { url: text(payload.url) ?? "", status: text(payload.status) ?? "", failingSince: formatDateTime(new Date(String(payload.failingSince)), "UTC"), lastError: text(payload.lastError) }
        : null,
    manageUrl: manageToken ? manageLink(config, manageToken) : signInPage(config),
    manageUrlIsPersonal: !!manageToken,
    note: text(payload.note),
    reason: text(payload.reason) ?? (delivery.kind === "EVENT_CHANGED" ? (event?.cancelReason ?? null) : null),
    lapsed: payload.lapsed === true,
    reminderDays,
    signIn: signIn
      ? { url: signInLink(config, signIn.token), expiresAt: formatDateTime(signIn.expiresAt, signIn.zone), validFor: duration(signIn.expiresAt.getTime() - options.now.getTime()) }
      : null,
    newsletter:
      delivery.kind === "NEWSLETTER_CONFIRM"
        ? (({ confirm, unsubscribe }) => ({ confirmUrl: confirm, unsubscribeUrl: unsubscribe }))(
            newsletterLinks(config, { confirmToken: newsletter?.confirmToken ?? undefined, unsubscribeToken: newsletter?.unsubscribeToken }),
          )
        : null,
    adminConsoleUrl: adminConsoleLink(config),
    calendar: options.calendar,
    hasCalendar: options.calendar !== null,
    removedSessions: (options.removedSessions ?? []).map((session) => ({ title: session.title, live: true, when: formatSessionRange(new Date(session.startsAt), new Date(session.endsAt), zone), venueName: null })),
    calendarRemovesSessions: options.removesSessions === true,
    checkIn: options.checkIn ?? null,
    certificate: options.certificate ?? null,
  };
}
