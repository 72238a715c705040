import { and, asc, count, eq, inArray, lt, or, sum } from "drizzle-orm";
import type { Reads } from "../db/database.js";
import { emailDeliveries, events, payments, prerequisiteCourses, registrations, sessions, venues } from "../db/tables.js";

export type DeliveryRow = typeof emailDeliveries.$inferSelect;
export type RegistrationRow = typeof registrations.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type VenueRow = typeof venues.$inferSelect;
export type PrerequisiteRow = typeof prerequisiteCourses.$inferSelect;

/**
 * The state of the world an email describes, read when it is sent rather than when it
 * was queued: a session moved or a payment recorded meanwhile shows up as it now is.
 */
export interface EmailFacts {
  registration: RegistrationRow | null;
  event: EventRow | null;
  /** In order; each with its own venue when it differs from the event's. */
  sessions: SessionRow[];
  /** The event's venue and any other venue a session uses, by id. */
  venues: Map<string, VenueRow>;
  prerequisite: PrerequisiteRow | null;
  amountPaidMinor: number;
  /** 1-based place in the queue while WAITLISTED. */
  waitlistPosition: number | null;
  /** Whether this registration was already sent the sessions as a calendar (so a cancellation should remove them). */
  calendarSent: boolean;
}

/** Reads only: called outside any transaction, before the message is rendered and sent. */
export async function loadEmailFacts(db: Reads, delivery: Pick<DeliveryRow, "registrationId" | "payload">): Promise<EmailFacts> {
  const registration = delivery.registrationId ? ((await db.select().from(registrations).where(eq(registrations.id, delivery.registrationId)).get()) ?? null) : null;
  const eventId = registration?.eventId ?? (typeof delivery.payload.eventId === "string" ? delivery.payload.eventId : null);
  const event = eventId ? ((await db.select().from(events).where(eq(events.id, eventId)).get()) ?? null) : null;
  if (!event) return { registration, event: null, sessions: [], venues: new Map(), prerequisite: null, amountPaidMinor: 0, waitlistPosition: null, calendarSent: false };

  const eventSessions = await db.select().from(sessions).where(eq(sessions.eventId, event.id)).orderBy(asc(sessions.position)).all();
  const venueIds = [...new Set([event.venueId, ...eventSessions.map((session) => session.venueId)].filter((id): id is string => id !== null))];
  const venueRows = venueIds.length ? await db.select().from(venues).where(inArray(venues.id, venueIds)).all() : [];
  const prerequisite = (await db.select().from(prerequisiteCourses).where(eq(prerequisiteCourses.eventId, event.id)).get()) ?? null;
  const amountPaidMinor = registration
    ? Number((await db.select({ total: sum(payments.amountMinor) }).from(payments).where(eq(payments.registrationId, registration.id)).get())?.total ?? 0)
    : 0;
  return {
    registration,
    event,
    sessions: eventSessions,
    venues: new Map(venueRows.map((venue) => [venue.id, venue])),
    prerequisite,
    amountPaidMinor,
    waitlistPosition: registration ? await waitlistPosition(db, registration) : null,
    calendarSent: registration ? await calendarSent(db, registration.id) : false,
  };
}

/**
 * A booking confirmation always carried the sessions; a schedule change only to someone
 * holding a seat (payload.withCalendar false: on the waitlist, no calendar was attached).
 */
async function calendarSent(db: Reads, registrationId: string): Promise<boolean> {
  const sent = await db
    .select({ kind: emailDeliveries.kind, payload: emailDeliveries.payload })
    .from(emailDeliveries)
    .where(and(eq(emailDeliveries.registrationId, registrationId), eq(emailDeliveries.status, "SENT"), inArray(emailDeliveries.kind, ["BOOKING_CONFIRMED", "EVENT_CHANGED"])))
    .all();
  return sent.some((row) => row.kind === "BOOKING_CONFIRMED" || row.payload.withCalendar !== false);
}

/** Same FIFO order as the waitlist itself: waitlistedAt, then id. */
async function waitlistPosition(db: Reads, registration: RegistrationRow): Promise<number | null> {
  if (registration.status !== "WAITLISTED" || !registration.waitlistedAt) return null;
  const waitlistedAt = registration.waitlistedAt;
  const ahead = await db
    .select({ n: count() })
    .from(registrations)
    .where(
      and(
        eq(registrations.eventId, registration.eventId),
        eq(registrations.status, "WAITLISTED"),
        or(lt(registrations.waitlistedAt, waitlistedAt), and(eq(registrations.waitlistedAt, waitlistedAt), lt(registrations.id, registration.id))),
      ),
    )
    .get();
  return (ahead?.n ?? 0) + 1;
}
