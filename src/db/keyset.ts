import { and, asc, eq, gt, or, sql, type Column } from "drizzle-orm";

/**
 * A list ordered by name, case-insensitively, then by id (venues, organisations): its
 * ORDER BY, and the condition for the rows after a cursor's [name, id].
 */
export function byNameThenId(name: Column, id: Column, after: readonly [string, string] | null) {
  const sortName = sql<string>`lower(${name})`;
  return {
    orderBy: [asc(sortName), asc(id)] as const,
    after: after ? or(gt(sortName, sql`lower(${after[0]})`), and(eq(sortName, sql`lower(${after[0]})`), gt(id, after[1]))) : undefined,
  };
}
