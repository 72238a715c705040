import ical, { ICalCalendarMethod, ICalEventStatus } from "ical-generator";
import type { EmailFacts, EventRow, SessionRow } from "./email-facts.js";
import { addressOneLine } from "./venue-format.js";

/** Host part of every UID: fixed, so a UID survives a change of PUBLIC_URL. */
const uidDomain = "event-registration";

export interface CalendarOptions {
  /** DTSTAMP: when this version of the calendar was made. */
  now: Date;
  /** Remove the sessions (the event or this registration was cancelled) rather than add or update them. */
  cancel: boolean;
  organizer: { name: string; email: string };
  /** Shown in each VEVENT's description; never a secret (no manage token). */
  reference: string | null;
}

/** A session keeps its UID for life, so calendars update the entry instead of adding one. */
export function sessionUid(session: Pick<SessionRow, "id">): string {
  return `${session.id}@${uidDomain}`;
}

/**
 * One VEVENT per LIVE session with UTC times (unambiguous in every client, no VTIMEZONE
 * to get wrong). SEQUENCE is the event's schedule version, which rises with every move;
 * a cancellation is one more change on top of it, with METHOD:CANCEL and
 * STATUS:CANCELLED so clients remove the entries.
 */
export function buildSessionsCalendar(facts: EmailFacts & { event: EventRow }, options: CalendarOptions): string {
  const { event } = facts;
  const cancelled = options.cancel;
  const calendar = ical({
    prodId: { company: "event-registration", product: "sessions", language: "EN" },
    method: cancelled ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.PUBLISH,
    name: event.title,
  });
  for (const session of facts.sessions) {
    if (session.kind !== "LIVE") continue;
    const venue = facts.venues.get(session.venueId ?? event.venueId ?? "");
    calendar.createEvent({
      id: sessionUid(session),
      sequence: event.scheduleVersion + (cancelled ? 1 : 0),
      stamp: options.now,
      start: session.startsAt,
      end: session.endsAt,
      summary: `${event.title}: ${session.title}`,
      location: venue ? addressOneLine(venue) : event.format === "ONLINE" ? "Online" : null,
      description: [options.reference ? `Reference ${options.reference}` : null, contactLine(event), cancelled ? `Cancelled${event.cancelReason ? `: ${event.cancelReason}` : ""}` : null]
        .filter(Boolean)
        .join("\n"),
      organizer: options.organizer,
      status: cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    });
  }
  return calendar.toString();
}

function contactLine(event: EventRow): string | null {
  const parts = [event.contactName, event.contactPhone, event.contactEmail].filter(Boolean);
  return parts.length ? `Contact: ${parts.join(", ")}` : null;
}
