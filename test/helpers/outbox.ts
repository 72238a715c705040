import { readFileSync } from "node:fs";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { deliverDueEmails } from "../../src/mail/deliver.js";
import type { MailLog } from "../../src/mail/transport.js";
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

const quietLog: MailLog = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as MailLog;

/** The pages a link can point at, as PUBLIC_URL paths. */
export type LinkPage = "manage" | "sign-in" | "newsletter/confirm" | "newsletter/unsubscribe";

/**
 * Sends what is due through the server's own transport (the .eml files of MAIL_DIR) and
 * returns the token of the `page` link in the newest email of `kind` to `to`: the link
 * as the person receives it, since the outbox holds no token.
 */
export async function emailedToken(server: TestServer, to: string, kind: string, page: LinkPage): Promise<string> {
  if (server.app.deps.config.smtpUrl) throw new Error("emailedToken reads the file transport; this server sends by SMTP");
  await deliverDueEmails(server.app.deps, server.app.mailTransport, quietLog);
  const row = outboxFor(server, to).filter((delivery) => delivery.kind === kind).at(-1);
  if (!row) throw new Error(`no ${kind} email to ${to}`);
  if (row.status !== "SENT") throw new Error(`the ${kind} email to ${to} is ${row.status}`);
  const parsed = await simpleParser(readFileSync(join(server.app.deps.config.mailDir, `${row.id}@event-registration.eml`)));
  const match = new RegExp(`/${page}#([A-Za-z0-9_%-]+)`).exec(parsed.text ?? "");
  if (!match) throw new Error(`the ${kind} email to ${to} has no /${page} link`);
  return decodeURIComponent(match[1]!);
}
