import { asc, inArray, sql } from "drizzle-orm";
import { loaderById, loaderOfCounts, loaderOfLists } from "../../common/batch.js";
import type { Db } from "../../db/client.js";
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
    waitlistPositionByRegistrationId: loaderOfCounts((ids) => {
      const list = sql.join(ids.map((id) => sql`${id}`), sql`, `);
      return db.all<{ key: string; n: number }>(sql`
        SELECT id AS key, position AS n FROM (
          SELECT id, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY waitlisted_at, id) AS position
          FROM registrations
          WHERE status = 'WAITLISTED'
            AND event_id IN (SELECT event_id FROM registrations WHERE id IN (${list}))
        ) WHERE id IN (${list})`);
    }),
  };
}
