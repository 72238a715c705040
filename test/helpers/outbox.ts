import type { TestServer } from "./server.js";

export interface OutboxRow {
  id: string;
  kind: string;
  to: string;
  subject: string;
  registrationId: string | null;
  payload: Record<string, any>;
  status: string;
}

/** What the outbox holds for an address, oldest first (read straight from the table). */
export function outboxFor(server: TestServer, to: string): OutboxRow[] {
  const rows = server.app.deps.db.$client
    .prepare("SELECT id, kind, to_address AS \"to\", subject, registration_id AS registrationId, payload, status FROM email_deliveries WHERE lower(to_address) = lower(?) ORDER BY created_at, id")
    .all(to) as (Omit<OutboxRow, "payload"> & { payload: string })[];
  return rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) }));
}
