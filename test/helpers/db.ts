import { sql } from "drizzle-orm";
import type { TestServer } from "./server.js";

const tables = ["registrations", "eligibility_answers", "payments", "registration_changes", "email_deliveries", "idempotency_keys", "newsletter_subscriptions", "events", "sessions", "venues", "organisations", "event_partners"];

/** Row counts of the tables a request could change: equal before and after means nothing changed. */
export async function rowCounts(server: TestServer): Promise<Record<string, number>> {
  const counts = await Promise.all(tables.map(async (table) => [table, await countRows(server, table)] as const));
  return Object.fromEntries(counts);
}

/** `SELECT count(*)` of one table, on either dialect (PostgreSQL answers a count as a string). */
export async function countRows(server: TestServer, table: string): Promise<number> {
  const [row] = await server.app.deps.db.rows<{ n: number | string }>(sql`SELECT count(*) AS "n" FROM ${sql.identifier(table)}`);
  return Number(row!.n);
}

/** DATABASE_URL of the server's database, for another process (a worker, the CLI) to open it too. */
export function databaseUrl(server: TestServer): string {
  const location = server.app.deps.config.database;
  return location.dialect === "postgres" ? location.url : `file:${location.path}`;
}
