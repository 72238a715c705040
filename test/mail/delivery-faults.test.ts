import { createServer, type Server, type Socket } from "node:net";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createWorker } from "../../src/jobs/worker.js";
import { claimDueDeliveries, defaultDeliveryOptions } from "../../src/mail/deliver.js";
import { defaultRetryPolicy } from "../../src/mail/retry-policy.js";
import { createSmtpTransport, type MailTransport } from "../../src/mail/transport.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { deliveries, drain, startMailHarness, type MailHarness } from "./mail-harness.js";

const EMAIL_DELIVERIES = /* GraphQL */ `
  query ($status: [EmailStatus!], $registrationId: ID) {
    emailDeliveries(status: $status, registrationId: $registrationId, first: 10) { totalCount edges { node { id kind to status attempts lastError sentAt } } }
  }
`;
const REGISTRATION_EMAILS = /* GraphQL */ `
  query ($id: ID!) { registration(id: $id) { emails { kind status attempts lastError } } }
`;
const APPROVE = /* GraphQL */ `
  mutation ($id: ID!) { reviewRegistration(input: { registrationId: $id, decision: APPROVE }) { registration { status } } }
`;
const PAY = /* GraphQL */ `
  mutation ($id: ID!) { recordPayment(input: { registrationId: $id, amountMinor: 125000, currency: "USD", method: "card" }) { registration { status } } }
`;
const RESEND = /* GraphQL */ `
  mutation ($id: ID!) { resendEmail(deliveryId: $id) { id kind to status attempts } }
`;

const silentLog = pino({ level: "silent" });
const MINUTE = 60_000;

/** Registers `count` people, `parallel` requests at a time; returns their registration ids. */
async function registerMany(mail: MailHarness, course: TestCourse, count: number, parallel = 10): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += parallel) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(parallel, count - start) }, () => mail.server.gql(REGISTER, { input: registrationInput(course) })),
    );
    for (const { data, errors } of batch) {
      expect(errors).toBeUndefined();
      expect(data.register.userErrors).toEqual([]);
      ids.push(data.register.registration.id);
    }
  }
  return ids;
}

/** Exactly one received message per outbox row, matched by Message-ID, and nothing else. */
async function expectEachDeliveredOnce(mail: MailHarness, registrationIds: string[]): Promise<void> {
  const rows = (await deliveries(mail.server)).filter((row) => registrationIds.includes(row.registrationId ?? ""));
  expect(rows).toHaveLength(registrationIds.length);
  expect(rows.filter((row) => row.status !== "SENT")).toEqual([]);
  const receivedIds = mail.smtp.received.map((email) => email.messageId);
  expect(new Set(receivedIds).size, "duplicates by Message-ID").toBe(receivedIds.length);
  expect([...receivedIds].sort()).toEqual(rows.map((row) => row.messageId).sort());
  // and each went to its registrant
  for (const row of rows) {
    const email = mail.smtp.received.find((message) => message.messageId === row.messageId)!;
    expect(email.envelope.to).toEqual([row.to]);
  }
}

describe("delivery faults: nothing lost, nothing doubled", () => {
  let mail: MailHarness;
  let course: TestCourse;

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z" });
    course = await createCourse(mail.server, { capacity: 1000 });
  });
  afterAll(() => mail.close());
  afterEach(async () => {
    // every test leaves the outbox drained and the server up for the next
    await mail.smtp.start();
    mail.server.clock.advance(24 * 60 * MINUTE);
    await drain(mail.server.app.worker);
    mail.smtp.received.length = 0;
  });

  it("SMTP refusing connections for a while during 200 registrations: after it returns every email arrives exactly once", async () => {
    const worker = mail.server.app.worker;
    // given 50 registrations mailed normally
    const ids = await registerMany(mail, course, 50);
    await drain(worker);
    expect(mail.smtp.received).toHaveLength(50);

    // when the SMTP server goes away for 100 more registrations, the worker still stepping
    await mail.smtp.stop();
    for (let round = 0; round < 4; round++) {
      ids.push(...(await registerMany(mail, course, 25)));
      const step = await worker.runOnce();
      expect(step.delivery.sent).toBe(0);
      mail.server.clock.advance(2 * MINUTE);
    }
    const duringOutage = (await deliveries(mail.server)).filter((row) => row.status === "RETRYING");
    expect(duringOutage.length).toBe(100);
    expect(duringOutage.every((row) => row.lastError && /ECONNECTION|ECONNREFUSED/.test(row.lastError))).toBe(true);
    expect(Math.max(...duringOutage.map((row) => row.attempts))).toBeGreaterThan(1);
    expect(mail.smtp.received).toHaveLength(50);

    // and it comes back while 50 more register
    await mail.smtp.start();
    ids.push(...(await registerMany(mail, course, 50)));
    for (let step = 0; step < 20 && (await deliveries(mail.server)).some((row) => row.status !== "SENT"); step++) {
      await drain(worker);
      mail.server.clock.advance(5 * MINUTE);
    }

    // then all 200 arrived, once each
    expect(ids).toHaveLength(200);
    expect(mail.smtp.received).toHaveLength(200);
    await expectEachDeliveredOnce(mail, ids);
  });

  it("a worker killed mid-batch and restarted: the claims it held expire and every email arrives once", async () => {
    // given 30 queued emails
    const ids = await registerMany(mail, course, 30);
    // and a worker whose process dies while sending its 11th message: the first ten reach the server
    const real = createSmtpTransport(mail.smtp.url);
    let sends = 0;
    const dying: MailTransport = {
      description: "dies on the 11th message",
      send(message) {
        sends += 1;
        return sends <= 10 ? real.send(message) : new Promise(() => {});
      },
      close: () => real.close(),
    };
    // (a dead worker renews nothing: this one's renewal is set beyond the test)
    const doomed = createWorker(mail.server.app.deps, { transport: dying, log: silentLog, delivery: { batchSize: 30, concurrency: 1, renewEveryMs: 60 * MINUTE } });
    void doomed.runOnce();
    await mail.smtp.waitForCount(10);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sends).toBe(11);
    const claimed = (await deliveries(mail.server)).filter((row) => row.status === "QUEUED" && row.claimedUntil);
    expect(claimed).toHaveLength(20);

    // when a new worker starts while the dead one's claims still hold, it leaves them alone
    const restarted = mail.server.app.worker;
    expect((await restarted.runOnce()).delivery.claimed).toBe(0);
    expect(mail.smtp.received).toHaveLength(10);
    // and once the lease has run out it delivers them
    mail.server.clock.advance(defaultDeliveryOptions.leaseMs + 1000);
    const steps = await drain(restarted);
    expect(steps[0]!.delivery).toMatchObject({ claimed: 20, sent: 20 });

    // then
    expect(mail.smtp.received).toHaveLength(30);
    await expectEachDeliveredOnce(mail, ids);
    real.close();
  });

  it("a claim dropped without any sending (crash right after the UPDATE) is retried after the lease", async () => {
    const ids = await registerMany(mail, course, 5);
    const claimed = await claimDueDeliveries(mail.server.app.deps, { batchSize: 100, leaseMs: defaultDeliveryOptions.leaseMs });
    expect(claimed.map((row) => row.registrationId).sort()).toEqual([...ids].sort());
    // a second claim at the same moment gets none of them
    expect(await claimDueDeliveries(mail.server.app.deps, { batchSize: 100, leaseMs: defaultDeliveryOptions.leaseMs })).toEqual([]);
    expect((await mail.server.app.worker.runOnce()).delivery.claimed).toBe(0);
    mail.server.clock.advance(defaultDeliveryOptions.leaseMs);
    await drain(mail.server.app.worker);
    await expectEachDeliveredOnce(mail, ids);
  });

  it("a backlog sent late reads right: in order, each showing the registration as it now is, with no stale instructions", async () => {
    // given the server is down while a registration is applied for, approved and paid
    await mail.smtp.stop();
    const [id] = await registerMany(mail, course, 1);
    await mail.server.app.worker.runOnce();
    await mail.server.admin(APPROVE, { id });
    await mail.server.admin(PAY, { id });
    await mail.server.app.worker.runOnce();
    // when it comes back
    await mail.smtp.start();
    mail.server.clock.advance(10 * MINUTE);
    await drain(mail.server.app.worker);
    // then they arrive in the order they happened (the payment's receipt and the confirmation share one transaction and its millisecond)
    const subjects = mail.smtp.received.map((email) => email.parsed.subject?.split(":")[0]);
    expect(subjects.slice(0, 2)).toEqual(["Application received", "Application approved"]);
    expect(subjects.slice(2).sort()).toEqual(["Booking confirmed", "Payment received"]);
    const [received, approved] = mail.smtp.received.map((email) => email.parsed.text!);
    for (const text of [received!, approved!]) {
      expect(text).toContain("Paid: $1,250.00 (paid in full)");
      expect(text).not.toMatch(/amount due|please pay/i);
    }
  });

  it("a permanent 5xx: retried with backoff, then FAILED with the server's reply, visible to admins, and resendEmail sends a fresh copy", async () => {
    // given a mailbox the server rejects for good
    const [id] = await registerMany(mail, course, 1);
    const [row] = await deliveries(mail.server, { registrationId: id });
    mail.smtp.rejectRecipient(row!.to, 550, "5.1.1 Mailbox unavailable");
    const worker = mail.server.app.worker;

    // when the worker tries: the first attempt fails and a retry is scheduled with jittered backoff
    await worker.runOnce();
    const firstFailure = (await deliveries(mail.server, { registrationId: id }))[0]!;
    expect(firstFailure).toMatchObject({ status: "RETRYING", attempts: 1 });
    expect(firstFailure.lastError).toContain("550 5.1.1 Mailbox unavailable");
    const firstDelay = firstFailure.nextAttemptAt.getTime() - mail.server.clock.now().getTime();
    expect(firstDelay).toBeGreaterThanOrEqual(defaultRetryPolicy.baseDelayMs * 0.8);
    expect(firstDelay).toBeLessThanOrEqual(defaultRetryPolicy.baseDelayMs * 1.2);
    // not due yet: nothing happens
    await worker.runOnce();
    expect((await deliveries(mail.server, { registrationId: id }))[0]!.attempts).toBe(1);
    // the second wait is about twice the first
    mail.server.clock.set(firstFailure.nextAttemptAt);
    await worker.runOnce();
    const secondFailure = (await deliveries(mail.server, { registrationId: id }))[0]!;
    expect(secondFailure).toMatchObject({ status: "RETRYING", attempts: 2 });
    const secondDelay = secondFailure.nextAttemptAt.getTime() - mail.server.clock.now().getTime();
    expect(secondDelay).toBeGreaterThanOrEqual(defaultRetryPolicy.baseDelayMs * 2 * 0.8);
    expect(secondDelay).toBeLessThanOrEqual(defaultRetryPolicy.baseDelayMs * 2 * 1.2);
    mail.server.clock.set(secondFailure.nextAttemptAt);
    await worker.runOnce();

    // then after the permanent-rejection budget it is FAILED and left alone
    const failed = (await deliveries(mail.server, { registrationId: id }))[0]!;
    expect(failed).toMatchObject({ status: "FAILED", attempts: defaultRetryPolicy.maxPermanentAttempts, sentAt: null, claimedUntil: null });
    expect(failed.lastError).toContain("550 5.1.1 Mailbox unavailable");
    mail.server.clock.advance(24 * 60 * MINUTE);
    expect((await worker.runOnce()).delivery.claimed).toBe(0);
    expect(mail.smtp.received).toHaveLength(0);

    // admins see it in the outbox and on the registration
    const listed = await mail.server.admin(EMAIL_DELIVERIES, { status: ["FAILED"], registrationId: id });
    expect(listed.data.emailDeliveries.edges.map((edge: { node: unknown }) => edge.node)).toEqual([
      expect.objectContaining({ id: failed.id, kind: "REGISTRATION_RECEIVED", status: "FAILED", attempts: 3, lastError: expect.stringContaining("550"), sentAt: null }),
    ]);
    const onRegistration = await mail.server.admin(REGISTRATION_EMAILS, { id });
    expect(onRegistration.data.registration.emails).toEqual([expect.objectContaining({ status: "FAILED", attempts: 3 })]);

    // and once the mailbox is fixed, resendEmail queues a fresh copy that the worker delivers
    mail.smtp.allowRecipient(failed.to);
    const resent = await mail.server.admin(RESEND, { id: failed.id });
    expect(resent.data.resendEmail).toMatchObject({ kind: "REGISTRATION_RECEIVED", to: failed.to, status: "QUEUED", attempts: 0 });
    await drain(worker);
    const rows = await deliveries(mail.server, { registrationId: id });
    expect(rows.map((delivery) => delivery.status)).toEqual(["FAILED", "SENT"]);
    expect(mail.smtp.received).toHaveLength(1);
    expect(mail.smtp.received[0]!.messageId).toBe(rows[1]!.messageId);
    expect(rows[1]!.messageId).not.toBe(failed.messageId);
    expect(mail.smtp.received[0]!.parsed.subject).toBe(failed.subject);
  });

  it("transient failures use the full budget, then FAILED too", async () => {
    // given a worker with a short budget and the server down
    const worker = createWorker(mail.server.app.deps, {
      transport: createSmtpTransport(mail.smtp.url),
      log: silentLog,
      delivery: { retry: { ...defaultRetryPolicy, maxAttempts: 4 } },
    });
    const [id] = await registerMany(mail, course, 1);
    await mail.smtp.stop();
    // when it tries until it gives up
    for (let attempt = 1; attempt <= 4; attempt++) {
      await worker.runOnce();
      mail.server.clock.advance(defaultRetryPolicy.maxDelayMs * 1.2);
    }
    // then
    const [row] = await deliveries(mail.server, { registrationId: id });
    expect(row).toMatchObject({ status: "FAILED", attempts: 4 });
    expect(row!.lastError).toMatch(/ECONNECTION|ECONNREFUSED/);
  });

  describe("an SMTP server that accepts connections and then says nothing", () => {
    let hung: Server;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      hung = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => hung.close(resolve));
    });

    it("cannot stall the worker: the send deadline ends the attempt and it is retried later", async () => {
      const address = hung.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const transport = createSmtpTransport(`smtp://127.0.0.1:${port}`, { sendTimeoutMs: 300 });
      const worker = createWorker(mail.server.app.deps, { transport, log: silentLog });
      const [id] = await registerMany(mail, course, 1);
      const started = Date.now();
      await worker.runOnce();
      expect(Date.now() - started).toBeLessThan(5_000);
      const [row] = await deliveries(mail.server, { registrationId: id });
      expect(row).toMatchObject({ status: "RETRYING", attempts: 1 });
      expect(row!.lastError).toMatch(/abort|timeout/i);
      transport.close();
    });
  });
});
