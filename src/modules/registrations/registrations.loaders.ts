import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { loaderById, loaderOfCounts, loaderOfLists } from "../../common/batch.js";
import type { Db } from "../../db/database.js";
import { eligibilityAnswers, emailDeliveries, payments, registrationChanges, registrations } from "../../db/tables.js";

export function createRegistrationLoaders(db: Db) {
  return {
    registrationById: loaderById((ids) => db.select().from(registrations).where(inArray(registrations.id, [...ids])).all(), (row) => row.id),
    answersByRegistrationId: loaderOfLists(
      (ids) => db.select().from(eligibilityAnswers).where(inArray(eligibilityAnswers.registrationId, [...ids])).all(),
      (row) => row.registrationId,
    ),
    paymentsByRegistrationId: loaderOfLists(
      (ids) => db.select().from(payments).where(inArray(payments.registrationId, [...ids])).orderBy(asc(payments.receivedAt), asc(payments.id)).all(),
      (row) => row.registrationId,
    ),
    changesByRegistrationId: loaderOfLists(
      (ids) => db.select().from(registrationChanges).where(inArray(registrationChanges.registrationId, [...ids])).orderBy(asc(registrationChanges.id)).all(),
      (row) => row.registrationId,
    ),
    emailsByRegistrationId: loaderOfLists(
      (ids) => db.select().from(emailDeliveries).where(inArray(emailDeliveries.registrationId, [...ids])).orderBy(asc(emailDeliveries.createdAt), asc(emailDeliveries.id)).all(),
      (row) => row.registrationId!,
    ),
    /** 1-based FIFO position among the event's WAITLISTED registrations. */
    waitlistPositionByRegistrationId: loaderOfCounts(async (ids) => {
      const eventsOfThem = db.select({ eventId: registrations.eventId }).from(registrations).where(inArray(registrations.id, [...ids]));
      const waitlist = db
        .select({
          id: registrations.id,
          // The order promoteFromWaitlist offers places in.
          position: sql<number>`row_number() over (partition by ${registrations.eventId} order by ${registrations.waitlistedAt}, ${registrations.id})`.as("position"),
        })
        .from(registrations)
        .where(and(eq(registrations.status, "WAITLISTED"), inArray(registrations.eventId, eventsOfThem)))
        .as("waitlist");
      const rows = await db.select({ key: waitlist.id, n: waitlist.position }).from(waitlist).where(inArray(waitlist.id, [...ids])).all();
      // row_number() is a bigint: PostgreSQL's driver gives it as a string.
      return rows.map((row) => ({ key: row.key, n: Number(row.n) }));
    }),
  };
}
