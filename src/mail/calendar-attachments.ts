import type { Config } from "../config.js";
import { seatHoldingStatuses } from "../modules/events/event-rules.js";
import type { DeliveryRow, EmailFacts, EventRow } from "./email-facts.js";
import { buildRemovedSessionsCalendar, buildSessionsCalendar } from "./ics.js";
import { removedSessionsIn, type RemovedSession } from "./removed-sessions.js";

export interface CalendarAttachment {
  filename: "sessions.ics" | "cancelled.ics" | "removed-sessions.ics";
  method: "PUBLISH" | "CANCEL";
  content: string;
}

export interface EmailCalendars {
  /** What the attachment about the current sessions asks: add/update them, remove them, or none attached. */
  mode: "publish" | "cancel" | null;
  /** Live sessions the edit this email reports took out of the course. */
  removed: RemovedSession[];
  /** Whether removed-sessions.ics is attached to take them out of the recipient's calendar. */
  removesSessions: boolean;
  attachments: CalendarAttachment[];
}

function holdsSeat(facts: EmailFacts): boolean {
  return !!facts.registration && (seatHoldingStatuses as readonly string[]).includes(facts.registration.status);
}

/**
 * Whether the message carries the current sessions as an .ics, and what it asks of the
 * calendar: the booking and every schedule change add or update them for someone who
 * holds a seat (a person on the waitlist has no place, so no calendar entries); a
 * cancelled event, or a cancelled registration, removes them again from calendars that
 * were sent them.
 */
function calendarModeFor(delivery: DeliveryRow, facts: EmailFacts): EmailCalendars["mode"] {
  if (!facts.event || !facts.sessions.some((session) => session.kind === "LIVE")) return null;
  const eventCancelled = facts.event.status === "CANCELLED";
  switch (delivery.kind) {
    case "BOOKING_CONFIRMED":
      return eventCancelled ? "cancel" : "publish";
    case "EVENT_CHANGED":
      if (eventCancelled) return facts.calendarSent ? "cancel" : null;
      // withCalendar: whether the registration held a seat when the change was made.
      return holdsSeat(facts) && delivery.payload.withCalendar !== false ? "publish" : null;
    case "REGISTRATION_CANCELLED":
      return facts.calendarSent ? "cancel" : null;
    default:
      return null;
  }
}

/**
 * The .ics attachments of a message. An iCalendar object has one METHOD, so an edit that
 * both moves sessions and drops one needs two: sessions.ics (PUBLISH, the sessions as they
 * now are) and removed-sessions.ics (CANCEL with STATUS:CANCELLED for the dropped UIDs). A
 * PUBLISH carrying STATUS:CANCELLED entries would be one file, but clients such as
 * Google Calendar and Outlook treat an imported PUBLISH as additions and leave the entry
 * in place; CANCEL is what they act on. Removals go only to calendars that were sent the
 * sessions.
 */
export function calendarsFor(config: Config, delivery: DeliveryRow, facts: EmailFacts, now: Date): EmailCalendars {
  const event = facts.event;
  if (!event) return { mode: null, removed: [], removesSessions: false, attachments: [] };
  const mode = calendarModeFor(delivery, facts);
  const removed = delivery.kind === "EVENT_CHANGED" ? removedSessionsIn(delivery.payload) : [];
  // Even when the registration was cancelled meanwhile: its cancellation removed only the sessions that still existed.
  const removesSessions = removed.length > 0 && facts.calendarSent;
  const organizer = organizerFor(config, event);
  const reference = facts.registration?.reference ?? null;
  const attachments: CalendarAttachment[] = [];
  if (mode) {
    attachments.push({
      filename: mode === "cancel" ? "cancelled.ics" : "sessions.ics",
      method: mode === "cancel" ? "CANCEL" : "PUBLISH",
      content: buildSessionsCalendar({ ...facts, event }, { now, cancel: mode === "cancel", organizer, reference }),
    });
  }
  if (removesSessions) {
    const changeVersion = typeof delivery.payload.scheduleVersion === "number" ? delivery.payload.scheduleVersion : event.scheduleVersion;
    attachments.push({
      filename: "removed-sessions.ics",
      method: "CANCEL",
      content: buildRemovedSessionsCalendar(event, removed, { now, organizer, reference, sequence: Math.max(1, changeVersion) }),
    });
  }
  return { mode, removed, removesSessions, attachments };
}

/** The event's contact organises the sessions; the sender address stands in when there is none. */
function organizerFor(config: Config, event: EventRow): { name: string; email: string } {
  if (event.contactEmail) return { name: event.contactName ?? event.title, email: event.contactEmail };
  const sender = /^(.*?)\s*<([^>]+)>\s*$/.exec(config.mailFrom);
  return sender ? { name: sender[1]!.replace(/^"|"$/g, "") || event.title, email: sender[2]! } : { name: event.title, email: config.mailFrom };
}
