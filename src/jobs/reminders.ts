import { and, eq, gt, isNotNull, isNull, lte, notExists, sql } from "drizzle-orm";
import { shiftKeepingWallClock } from "../common/time.js";
import { emailDeliveries, events, prerequisiteCourses, registrations } from "../db/tables.js";
import type { Reads } from "../db/database.js";
import type { Deps } from "../deps.js";
import { enqueueEmail } from "../mail/outbox.js";
import { subjectFor } from "../mail/subjects.js";

/** One delivery per registration and occasion: the key makes a second run a no-op. */
export function reminderDedupeKey(registrationId: string, days: number): string {
  return `${registrationId}:PREREQUISITE_REMINDER:d${days}`;
}

/**
 * PREREQUISITE_REMINDER, `config.reminderDays` days before an event's start (same
 * wall-clock time in the event's zone), to CONFIRMED registrants who have not completed
 * the prerequisite course. Safe to run any number of times. Two rules keep it from
 * nagging (and every process may run it: the dedupe key makes a reminder queued twice a
 * no-op):
 * - only the latest occasion that has come is sent: a worker that was down through the
 *   14-day mark and starts 3 days before sends the 3-day reminder, not both;
 * - only to registrants whose access opened at or before the occasion: someone who has
 *   just been given access (a late booking) is not told off for not having finished.
 * Returns how many reminders were queued.
 */
export async function enqueuePrerequisiteReminders(deps: Deps): Promise<number> {
  const { db, clock, config } = deps;
  const days = [...config.reminderDays].sort((a, b) => a - b);
  if (days.length === 0) return 0;
  const now = clock.now();
  // A day of margin beyond the largest lead covers a daylight-saving shift in between.
  const horizon = new Date(now.getTime() + (days[days.length - 1]! + 1) * 86_400_000);
  const upcoming = await db
    .select({ event: events })
    .from(events)
    .innerJoin(prerequisiteCourses, eq(prerequisiteCourses.eventId, events.id))
    .where(and(eq(events.status, "PUBLISHED"), gt(events.startsAt, now), lte(events.startsAt, horizon)))
    .all();

  let queued = 0;
  for (const { event } of upcoming) {
    const occasion = days.map((lead) => ({ lead, dueAt: shiftKeepingWallClock(event.startsAt, event.timeZone, { days: lead }) })).find(({ dueAt }) => dueAt <= now);
    if (!occasion) continue;
    const alreadyQueued = db
      .select({ one: sql`1` })
      .from(emailDeliveries)
      .where(eq(emailDeliveries.dedupeKey, sql`${registrations.id} || ${reminderDedupeKey("", occasion.lead)}`));
    const dueNow = (reader: Reads) =>
      reader
        .select({ id: registrations.id, email: registrations.email, reference: registrations.reference })
        .from(registrations)
        .where(
          and(
            eq(registrations.eventId, event.id),
            eq(registrations.status, "CONFIRMED"),
            isNull(registrations.prerequisiteCompletedAt),
            isNotNull(registrations.accessGrantedAt),
            lte(registrations.accessGrantedAt, occasion.dueAt),
            isNull(registrations.accessRevokedAt),
            notExists(alreadyQueued),
          ),
        )
        .all();
    // Most steps find nobody due: only then is a transaction opened, and who is due is read
    // again in it, so a registration cancelled by another process meanwhile gets nothing
    // (on PostgreSQL one cancelled while this commits is mailed the reminder of a course it
    // left: harmless, and the reminder says nothing of its seat).
    if ((await dueNow(db)).length === 0) continue;
    queued += await db.transaction(async (tx) => {
      const due = await dueNow(tx);
      for (const registration of due) {
        await enqueueEmail(tx, clock, {
          kind: "PREREQUISITE_REMINDER",
          to: registration.email,
          subject: subjectFor("PREREQUISITE_REMINDER", { eventTitle: event.title, reference: registration.reference }),
          dedupeKey: reminderDedupeKey(registration.id, occasion.lead),
          registrationId: registration.id,
          payload: { days: occasion.lead },
        });
      }
      return due.length;
    });
  }
  return queued;
}
