import type { TestServer } from "./server.js";

const tables = ["registrations", "eligibility_answers", "payments", "registration_changes", "email_deliveries", "idempotency_keys", "newsletter_subscriptions", "events", "sessions", "venues", "organisations", "event_partners"];

/** Row counts of the tables a request could change: equal before and after means nothing changed. */
export function rowCounts(server: TestServer): Record<string, number> {
  const sqlite = server.app.deps.db.$client;
  return Object.fromEntries(tables.map((table) => [table, (sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n]));
}
