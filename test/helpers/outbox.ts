import { readFileSync } from "node:fs";
import { join } from "node:path";
import { asc, sql } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { emailDeliveries } from "../../src/db/tables.js";
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
export async function outboxFor(server: TestServer, to: string): Promise<OutboxRow[]> {
  const rows = await server.app.deps.db
    .select({ id: emailDeliveries.id, kind: emailDeliveries.kind, to: emailDeliveries.to, subject: emailDeliveries.subject, registrationId: emailDeliveries.registrationId, payload: emailDeliveries.payload, status: emailDeliveries.status })
    .from(emailDeliveries)
    .where(sql`lower(${emailDeliveries.to}) = lower(${to})`)
    .orderBy(asc(emailDeliveries.createdAt), asc(emailDeliveries.id));
  return rows.map((row) => ({ ...row, payload: row.payload as Record<string, any> }));
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
  const row = (await outboxFor(server, to)).filter((delivery) => delivery.kind === kind).at(-1);
  if (!row) throw new Error(`no ${kind} email to ${to}`);
  if (row.status !== "SENT") throw new Error(`the ${kind} email to ${to} is ${row.status}`);
  const parsed = await simpleParser(readFileSync(join(server.app.deps.config.mailDir, `${row.id}@event-registration.eml`)));
  const match = new RegExp(`/${page}#([A-Za-z0-9_%-]+)`).exec(parsed.text ?? "");
  if (!match) throw new Error(`the ${kind} email to ${to} has no /${page} link`);
  return decodeURIComponent(match[1]!);
}
