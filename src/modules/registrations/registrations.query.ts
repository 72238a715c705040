import { and, asc, count, eq, inArray, or, sql, type SQL } from "drizzle-orm";
import { decodeCursor, pageSize, toConnection, type Connection, type SortKey } from "../../common/connection.js";
import { badUserInput } from "../../common/errors.js";
import { characterCount, limits } from "../../common/validate.js";
import type { Db } from "../../db/database.js";
import { likeIgnoringCase } from "../../db/dialect.js";
import { registrations } from "../../db/tables.js";
import type { RegistrationRow } from "./registration-access.js";
import { keptRegistrationCount } from "./registration-counts.js";

export interface ListRegistrationsOptions {
  /** From registrationScope(): which rows the caller may see; undefined for all of them. */
  scope: SQL | undefined;
  eventId?: string | null;
  status?: RegistrationRow["status"][] | null;
  search?: string | null;
  first?: number | null;
  after?: string | null;
}

/**
 * Registrations in the order they arrived, keyset-paginated on (createdAt, id).
 *
 * Cost does not grow with the number of registrations for what admins ask (all, by event,
 * by status, by event and status): each status is one range of an index that ends in
 * (created_at, id) (see the registrations indexes in db/schema.ts), read from the cursor up
 * to the page size; several statuses are read one range each and merged. totalCount then
 * comes from the kept counts (registration-counts.ts). With a search, or a caller who sees
 * only some registrations (a partner's or registrant's scope), the page still walks an
 * index in order but filters as it goes, and totalCount is a COUNT(*) over the matching
 * rows: that one grows with the data.
 */
export async function listRegistrations(db: Db, options: ListRegistrationsOptions): Promise<Connection<RegistrationRow>> {
  const size = pageSize(options.first);
  const after = decodeCursor("registrations", options.after);
  const conditions: (SQL | undefined)[] = [options.scope];
  if (options.eventId) conditions.push(eq(registrations.eventId, options.eventId));
  const search = options.search?.trim();
  if (search) {
    if (characterCount(search) > limits.shortText) throw badUserInput(`search must be at most ${limits.shortText} characters`);
    const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    conditions.push(
      or(
        likeIgnoringCase(sql`lower(${registrations.firstName} || ' ' || ${registrations.lastName})`, pattern),
        likeIgnoringCase(registrations.emailNormalized, pattern),
        likeIgnoringCase(sql`lower(${registrations.reference})`, pattern),
      ),
    );
  }
  const statuses = options.status?.length ? [...new Set(options.status)] : null;
  // A row value comparison is an index range, where `a > x OR (a = x AND b > y)` is not.
  // The cursor's time is bound as a Date through the column's encoder: epoch ms on SQLite,
  // a timestamptz on PostgreSQL.
  const afterKey = after ? sql`(${registrations.createdAt}, ${registrations.id}) > (${sql.param(new Date(after[0]), registrations.createdAt)}, ${after[1]})` : undefined;
  const page = (status: RegistrationRow["status"] | null) =>
    db
      .select()
      .from(registrations)
      .where(and(...conditions, status ? eq(registrations.status, status) : undefined, afterKey))
      .orderBy(asc(registrations.createdAt), asc(registrations.id))
      .limit(size + 1)
      .all();
  const rows = statuses === null ? await page(null) : mergeInListOrder(await Promise.all(statuses.map(page)), size + 1);
  const keptCountAnswers = options.scope === undefined && !search;
  const totalCount = keptCountAnswers
    ? () => keptRegistrationCount(db, { eventId: options.eventId, statuses })
    : async () => (await db.select({ n: count() }).from(registrations).where(and(...conditions, statuses ? inArray(registrations.status, statuses) : undefined)).get())!.n;
  return toConnection("registrations", rows, size, after, keyOf, totalCount);
}

const keyOf = (row: RegistrationRow): SortKey<"registrations"> => [row.createdAt.getTime(), row.id];

/** Sorts like the list: createdAt, then id. */
function compareInListOrder(a: RegistrationRow, b: RegistrationRow): number {
  const byTime = a.createdAt.getTime() - b.createdAt.getTime();
  return byTime !== 0 ? byTime : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The first `limit` rows of several lists each already in list order (one per status, so no row is in two). */
function mergeInListOrder(lists: RegistrationRow[][], limit: number): RegistrationRow[] {
  return lists.length === 1 ? lists[0]! : lists.flat().sort(compareInListOrder).slice(0, limit);
}

export function findRegistrationByReference(db: Db, reference: string): Promise<RegistrationRow | undefined> {
  return db.select().from(registrations).where(eq(registrations.reference, reference.trim().toUpperCase())).get();
}
