import { and, asc, eq } from "drizzle-orm";
import ical from "node-ical";
import { expect } from "vitest";
import { emailDeliveries } from "../../src/db/tables.js";
import type { Worker, WorkerStepSummary } from "../../src/jobs/worker.js";
import { startTestServer, type TestServer, type TestServerOptions } from "../helpers/server.js";
import { startTestSmtpServer, type ReceivedEmail, type TestSmtpServer } from "../helpers/smtp.js";

/*
 * An API server whose SMTP_URL points at an in-process SMTP server. Its worker loop is
 * off: tests step it with runOnce() under the manual clock, so every email's moment is
 * under the test's control.
 */

export type DeliveryRow = typeof emailDeliveries.$inferSelect;
export type EmailKindName = DeliveryRow["kind"];

export interface MailHarness {
  server: TestServer;
  smtp: TestSmtpServer;
  close(): Promise<void>;
}

export async function startMailHarness(options: TestServerOptions = {}): Promise<MailHarness> {
  const smtp = await startTestSmtpServer();
  // Rate limits are tested elsewhere; here one address registers hundreds of people.
  const server = await startTestServer({ ...options, env: { SMTP_URL: smtp.url, RATE_LIMITS: "off", ...options.env } });
  return {
    server,
    smtp,
    async close() {
      await server.close();
      await smtp.close();
    },
  };
}

/** Steps the worker until a step claims nothing; returns the steps' summaries. */
export async function drain(worker: Worker, maxSteps = 50): Promise<WorkerStepSummary[]> {
  const steps: WorkerStepSummary[] = [];
  for (let step = 0; step < maxSteps; step++) {
    const summary = await worker.runOnce();
    steps.push(summary);
    if (summary.delivery.claimed === 0) return steps;
  }
  throw new Error(`the outbox was still busy after ${maxSteps} worker steps`);
}

export async function deliveries(server: TestServer, filter: { registrationId?: string; kind?: EmailKindName } = {}): Promise<DeliveryRow[]> {
  const conditions = [filter.registrationId ? eq(emailDeliveries.registrationId, filter.registrationId) : undefined, filter.kind ? eq(emailDeliveries.kind, filter.kind) : undefined];
  return server.app.deps.db
    .select()
    .from(emailDeliveries)
    .where(and(...conditions))
    .orderBy(asc(emailDeliveries.createdAt), asc(emailDeliveries.id))
    .all();
}

/**
 * The one message of this kind for this registration: exactly one outbox row, SENT, and
 * exactly one message with its Message-ID received by the SMTP server.
 */
export async function receivedEmail(harness: MailHarness, registrationId: string, kind: EmailKindName): Promise<ReceivedEmail & { row: DeliveryRow }> {
  const rows = await deliveries(harness.server, { registrationId, kind });
  expect(rows, `${kind} deliveries for ${registrationId}`).toHaveLength(1);
  const row = rows[0]!;
  expect(row.status).toBe("SENT");
  const matches = harness.smtp.received.filter((email) => email.messageId === row.messageId);
  expect(matches, `messages with Message-ID ${row.messageId}`).toHaveLength(1);
  return { ...matches[0]!, row };
}

export interface ParsedCalendarEvent {
  uid: string;
  start: string;
  end: string;
  sequence: number;
  status: string | undefined;
  location: string;
}

/** The .ics attachment parsed by node-ical: its METHOD and its VEVENTs in start order. */
export function calendarOf(email: ReceivedEmail): { method: string | undefined; events: ParsedCalendarEvent[]; filename: string | undefined } {
  const attachments = email.parsed.attachments.filter((attachment) => attachment.contentType === "text/calendar");
  expect(attachments).toHaveLength(1);
  const attachment = attachments[0]!;
  const text = attachment.content.toString("utf8");
  const parsed = ical.sync.parseICS(text);
  const events = Object.values(parsed)
    .filter((component): component is ical.VEvent => component?.type === "VEVENT")
    .map((event) => ({
      uid: event.uid,
      start: new Date(event.start).toISOString(),
      end: new Date(event.end!).toISOString(),
      sequence: Number(event.sequence),
      status: event.status,
      location: String(event.location ?? ""),
    }))
    .sort((a, b) => a.start.localeCompare(b.start));
  return { method: /^METHOD:(.+)$/m.exec(text)?.[1]?.trim(), events, filename: attachment.filename };
}
