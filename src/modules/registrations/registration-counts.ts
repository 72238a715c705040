import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import { inList, preparedPerDatabase } from "../../db/prepared.js";
import type { Db, Reads } from "../../db/database.js";
import { registrationCounts, type registrationStatuses } from "../../db/tables.js";

type Status = (typeof registrationStatuses)[number];

/*
 * Reads of the per-(event, status) counts that triggers on registrations keep in the same
 * transaction as every write (drizzle/0004_registration-counts-triggers.sql). A read costs
 * a few primary-key rows whatever the number of registrations, so the seat check inside
 * register's write lock, seatsRemaining and totalCount stay as fast at a million as at a
 * thousand. Inside a write transaction the counts include that transaction's own writes.
 */

/** The sum of the kept counts a query selects (0 when none): every count read goes through it. */
export const total = sql<number>`coalesce(sum(${registrationCounts.count}), 0)`.mapWith(Number);

function statusCondition(statuses: readonly Status[] | null | undefined): SQL | undefined {
  return statuses?.length ? inArray(registrationCounts.status, [...statuses]) : undefined;
}

/** Registrations in these statuses (all statuses when null), of one event or of all events. */
export async function keptRegistrationCount(db: Reads, filter: { eventId?: string | null; statuses?: readonly Status[] | null }): Promise<number> {
  const byEvent = filter.eventId ? eq(registrationCounts.eventId, filter.eventId) : undefined;
  return (await db.select({ n: total }).from(registrationCounts).where(and(byEvent, statusCondition(filter.statuses))).get())!.n;
}

/**
 * The same per event, for a batch of events (a DataLoader's; events with none are left
 * out), for one fixed list of statuses: built and prepared once per database, since the
 * catalogue's seatsRemaining runs it for every page. Run it with `{ ids: listParam(eventIds) }`:
 * the ids bound as one JSON list, so one compiled statement for any batch size.
 */
export function countsByEventStatement(statuses: readonly Status[]) {
  return preparedPerDatabase((db: Db) =>
    db
      .select({ key: registrationCounts.eventId, n: total })
      .from(registrationCounts)
      .where(and(inList(registrationCounts.eventId), statusCondition(statuses)))
      .groupBy(registrationCounts.eventId)
      .prepare(),
  );
}
