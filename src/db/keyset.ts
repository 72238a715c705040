import { and, asc, eq, gt, or, sql, type Column } from "drizzle-orm";
import { byCodePoint } from "./dialect.js";

/**
 * A list ordered by name, case-insensitively, then by id (venues, organisations): its
 * ORDER BY, and the condition for the rows after a cursor's [name, id]. Names compare by
 * code point on both dialects (dialect.ts), so a page boundary falls in the same place.
 */
export function byNameThenId(name: Column, id: Column, after: readonly [string, string] | null) {
  const sortName = byCodePoint(sql<string>`lower(${name})`);
  const afterName = after ? byCodePoint(sql`lower(${after[0]})`) : null;
  return {
    orderBy: [asc(sortName), asc(id)] as const,
    after: after && afterName ? or(gt(sortName, afterName), and(eq(sortName, afterName), gt(id, after[1]))) : undefined,
  };
}
