import { and, asc, count, eq, gt, inArray, or, sql, type SQL } from "drizzle-orm";
import { decodeCursor, pageSize, toConnection, type Connection } from "../../common/connection.js";
import { badUserInput } from "../../common/errors.js";
import { characterCount, limits } from "../../common/validate.js";
import type { Db } from "../../db/client.js";
import { registrations } from "../../db/schema.js";
import type { RegistrationRow } from "./registration-access.js";

export interface ListRegistrationsOptions {
  /** From registrationScope(): which rows the caller may see. */
  scope: SQL | undefined;
  eventId?: string | null;
  status?: RegistrationRow["status"][] | null;
  search?: string | null;
  first?: number | null;
  after?: string | null;
}

/** Registrations in the order they arrived, keyset-paginated on (createdAt, id). */
export function listRegistrations(db: Db, options: ListRegistrationsOptions): Connection<RegistrationRow> {
  const size = pageSize(options.first);
  const after = decodeCursor("registrations", options.after);
  const conditions: (SQL | undefined)[] = [options.scope];
  if (options.eventId) conditions.push(eq(registrations.eventId, options.eventId));
  if (options.status?.length) conditions.push(inArray(registrations.status, options.status));
  const search = options.search?.trim();
  if (search) {
    if (characterCount(search) > limits.shortText) throw badUserInput(`search must be at most ${limits.shortText} characters`);
    const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    conditions.push(
      sql`(lower(${registrations.firstName} || ' ' || ${registrations.lastName}) LIKE ${pattern} ESCAPE '\\'
        OR ${registrations.emailNormalized} LIKE ${pattern} ESCAPE '\\'
        OR lower(${registrations.reference}) LIKE ${pattern} ESCAPE '\\')`,
    );
  }
  const where = and(...conditions);
  const afterKey = after
    ? or(gt(registrations.createdAt, new Date(after[0])), and(eq(registrations.createdAt, new Date(after[0])), gt(registrations.id, after[1])))
    : undefined;
  const rows = db.select().from(registrations).where(and(where, afterKey)).orderBy(asc(registrations.createdAt), asc(registrations.id)).limit(size + 1).all();
  return toConnection("registrations", rows, size, after, (row) => [row.createdAt.getTime(), row.id], () => db.select({ n: count() }).from(registrations).where(where).get()!.n);
}

export function findRegistrationByReference(db: Db, reference: string): RegistrationRow | undefined {
  return db.select().from(registrations).where(eq(registrations.reference, reference.trim().toUpperCase())).get();
}
