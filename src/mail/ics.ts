import ical, { ICalCalendarMethod, ICalEventStatus, type ICalCalendar } from "ical-generator";
import type { EmailFacts, EventRow, SessionRow } from "./email-facts.js";
import type { RemovedSession } from "./removed-sessions.js";
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

/*
 * Every value below comes from admins or registrants, so none reaches the calendar as
 * typed. ical-generator escapes TEXT values and folds lines correctly, but it writes the
 * calendar NAME raw (a title with a line break injects properties, even whole VEVENTs),
 * passes control characters through (RFC 5545 TEXT allows none but HTAB), and
 * backslash-escapes DQUOTE inside the quoted CN parameter, which RFC 5545 forbids.
 */

// C0 controls and DEL, except HTAB and LF (LF is a line break, escaped as \n by the library).
const controlCharacters = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
const loneSurrogates = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A value fit for an RFC 5545 TEXT property: no control characters, no broken UTF-16; line breaks only where text has lines. */
export function calendarText(value: string, shape: "line" | "lines"): string {
  const clean = value.replace(/\r\n?/g, "\n").replace(loneSurrogates, "\uFFFD").replace(controlCharacters, " ");
  if (shape === "line") return clean.replace(/\s+/g, " ").trim();
  return clean
    .split("\n")
    .map((line) => line.replace(/[ \t]+/g, " ").trim())
    .join("\n")
    .trim();
}

/**
 * A quoted parameter value (CN) may hold neither DQUOTE nor a control character, and has
 * no escapes at all; the library's backslash escapes would show up as text. The name is
 * only a label, so quotes become apostrophes and backslashes slashes.
 */
export function calendarParameter(value: string): string {
  return calendarText(value, "line").replace(/"/g, "'").replace(/\\/g, "/");
}

/** RFC 5545 TEXT escaping, for the one property (NAME / X-WR-CALNAME) the library writes unescaped. */
function escapedText(value: string): string {
  return value.replace(/[\\;,]/g, (character) => `\\${character}`).replace(/\n/g, "\\n");
}

/** A mailto: URI (RFC 6068) for an address: characters a URI cannot carry are percent-encoded. */
export function mailtoAddress(email: string): string {
  return email.trim().replace(/[^A-Za-z0-9\-._~!$'()*+@]/gu, (character) => encodeURIComponent(character));
}

function newCalendar(event: EventRow, method: ICalCalendarMethod): ICalCalendar {
  return ical({
    prodId: { company: "event-registration", product: "sessions", language: "EN" },
    method,
    name: escapedText(calendarText(event.title, "line")),
  });
}

interface CalendarEntry {
  uid: string;
  sequence: number;
  start: Date;
  end: Date;
  sessionTitle: string;
  location: string | null;
  description: (string | null)[];
  cancelled: boolean;
}

function addEntry(calendar: ICalCalendar, event: EventRow, entry: CalendarEntry, options: Pick<CalendarOptions, "now" | "organizer">): void {
  const description = calendarText(entry.description.filter((part): part is string => !!part).join("\n"), "lines");
  calendar.createEvent({
    id: entry.uid,
    sequence: entry.sequence,
    stamp: options.now,
    start: entry.start,
    end: entry.end,
    summary: calendarText(`${event.title}: ${entry.sessionTitle}`, "line"),
    location: entry.location === null ? null : calendarText(entry.location, "line"),
    description: description || null,
    organizer: { name: calendarParameter(options.organizer.name) || calendarParameter(event.title) || "Organizer", email: mailtoAddress(options.organizer.email) },
    status: entry.cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
  });
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
  const calendar = newCalendar(event, cancelled ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.PUBLISH);
  for (const session of facts.sessions) {
    if (session.kind !== "LIVE") continue;
    const venue = facts.venues.get(session.venueId ?? event.venueId ?? "");
    addEntry(
      calendar,
      event,
      {
        uid: sessionUid(session),
        sequence: event.scheduleVersion + (cancelled ? 1 : 0),
        start: session.startsAt,
        end: session.endsAt,
        sessionTitle: session.title,
        location: venue ? addressOneLine(venue) : event.format === "ONLINE" ? "Online" : null,
        description: [options.reference ? `Reference ${options.reference}` : null, contactLine(event), cancelled ? `Cancelled${event.cancelReason ? `: ${event.cancelReason}` : ""}` : null],
        cancelled,
      },
      options,
    );
  }
  return finished(calendar);
}

/**
 * METHOD:CANCEL for sessions an edit took out of the course (their rows are gone, so
 * what they were comes from the email's payload). SEQUENCE is the schedule version of
 * that edit, above every version the registrant was sent while the session existed.
 */
export function buildRemovedSessionsCalendar(
  event: EventRow,
  removed: RemovedSession[],
  options: Pick<CalendarOptions, "now" | "organizer" | "reference"> & { sequence: number },
): string {
  const calendar = newCalendar(event, ICalCalendarMethod.CANCEL);
  for (const session of removed) {
    addEntry(
      calendar,
      event,
      {
        uid: sessionUid(session),
        sequence: options.sequence,
        start: new Date(session.startsAt),
        end: new Date(session.endsAt),
        sessionTitle: session.title,
        location: null,
        description: [options.reference ? `Reference ${options.reference}` : null, contactLine(event), "This session is no longer part of the course."],
        cancelled: true,
      },
      options,
    );
  }
  return finished(calendar);
}

/** RFC 5545 ends every content line with CRLF, the last one too; the library leaves the last one bare. */
function finished(calendar: ICalCalendar): string {
  const text = calendar.toString();
  return text.endsWith("\r\n") ? text : `${text}\r\n`;
}

function contactLine(event: EventRow): string | null {
  // One-line fields: a line break typed into a name must not start a new line of the description.
  const parts = [event.contactName, event.contactPhone, event.contactEmail].map((part) => (part ? calendarText(part, "line") : "")).filter(Boolean);
  return parts.length ? `Contact: ${parts.join(", ")}` : null;
}
