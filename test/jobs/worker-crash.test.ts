import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { createWorker } from "../../src/jobs/worker.js";
import { claimDueDeliveries, defaultDeliveryOptions } from "../../src/mail/deliver.js";
import { createSmtpTransport, type MailTransport } from "../../src/mail/transport.js";
import { createCourse, REGISTER, registrationInput } from "../helpers/factories.js";
import type { ServerProcess } from "../helpers/process.js";
import { createUpcomingCourse, startSharedDatabase, type ApiClient, type SharedDatabase } from "../helpers/shared-database.js";
import { spawnWorker, type WorkerProcess } from "../helpers/worker-process.js";
import { deliveries, drain, startMailHarness, type MailHarness } from "../mail/mail-harness.js";

const EMAILS = 12;
/** What "promptly" means here, from the new worker's start; the old 5-minute lease made it 300 s. */
const RECOVERY_BOUND_MS = 10_000;

interface HoldingSmtpServer {
  url: string;
  /** While true, a message's data is read but never answered: the sender waits mid-send. */
  holding: boolean;
  /** Messages whose data arrived while holding (never accepted). */
  held: number;
  /** Message-IDs accepted (250), in order. */
  accepted: string[];
  close(): Promise<void>;
}

/** A real SMTP server that can leave senders hanging in DATA, as a stalled relay does. */
async function startHoldingSmtpServer(): Promise<HoldingSmtpServer> {
  const state = { holding: true, held: 0, accepted: [] as string[] };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    closeTimeout: 50,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (state.holding) {
          state.held++;
          return;
        }
        state.accepted.push(/^Message-ID:\s*(<[^>]+>)/im.exec(Buffer.concat(chunks).toString())?.[1] ?? "");
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return Object.assign(state, {
    url: `smtp://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// On a SQLite file of its own, shared with the processes (shared-database.ts), whichever dialect the suite runs on.
describe("a worker process killed mid-batch", () => {
  let shared: SharedDatabase;
  let api: ServerProcess & { client: ApiClient };
  let smtp: HoldingSmtpServer;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    shared = startSharedDatabase();
    api = await shared.spawnApi();
    smtp = await startHoldingSmtpServer();
  }, 120_000);
  afterAll(async () => {
    for (const worker of workers) await worker.kill();
    await smtp?.close();
    await shared?.close();
  });

  it(`a restarted worker takes back what the dead one had claimed and sends it within ${RECOVERY_BOUND_MS / 1000} s, each email once`, async () => {
    // given EMAILS booking confirmations queued by the API process
    const { course } = await createUpcomingCourse(api.client, { capacity: 100, requiresReview: false, priceMinor: 0 });
    for (let i = 0; i < EMAILS; i++) {
      const { data } = await api.client.gql(REGISTER, { input: registrationInput(course) });
      expect(data.register.registration.status).toBe("CONFIRMED");
    }
    const db = shared.read();
    const rows = () => db.prepare("SELECT id, status, message_id AS messageId, claimed_by AS claimedBy, claimed_until AS claimedUntil FROM email_deliveries").all() as { id: string; status: string; messageId: string; claimedBy: string | null; claimedUntil: number | null }[];
    expect(rows()).toHaveLength(EMAILS);
    // and a worker that has claimed them all and is stuck sending to a stalled relay
    const env = { DATABASE_URL: shared.databaseUrl, SMTP_URL: smtp.url, WORKER_INTERVAL_MS: "100", LOG_LEVEL: "warn" };
    const doomed = await spawnWorker(env);
    workers.push(doomed);
    await waitUntil(() => smtp.held > 0, 30_000, "the first worker starts sending");
    const claimed = rows();
    expect(claimed.filter((row) => row.status === "QUEUED" && row.claimedUntil !== null && row.claimedUntil > Date.now())).toHaveLength(EMAILS);

    // when it is killed (no clean-up of any kind), the relay recovers, and a new worker starts
    await doomed.kill();
    smtp.holding = false;
    const restarted = await spawnWorker(env);
    const restartedAt = Date.now();
    workers.push(restarted);
    await waitUntil(() => new Set(smtp.accepted).size >= EMAILS, RECOVERY_BOUND_MS + 5_000, "every email is delivered");
    const recoveredInMs = Date.now() - restartedAt;

    // then every email went out promptly, once each
    expect(recoveredInMs).toBeLessThan(RECOVERY_BOUND_MS);
    await waitUntil(() => rows().every((row) => row.status === "SENT"), 5_000, "every delivery is recorded SENT");
    expect([...smtp.accepted].sort()).toEqual(rows().map((row) => row.messageId).sort());
    expect(rows().every((row) => row.claimedBy === null && row.claimedUntil === null)).toBe(true);
    // because the new worker knew that the owner of the claims was gone, not because a lease ran out
    expect(new Set(claimed.map((row) => row.claimedBy?.split(":").at(-2)))).toEqual(new Set([String(doomed.child.pid)]));
    expect(restarted.logs.some((line) => line.msg === "took back emails claimed by a worker that is no longer running" && line.deliveries === EMAILS)).toBe(true);
  }, 120_000);
});

describe("leases", () => {
  let mail: MailHarness;
  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z" });
  });
  afterAll(() => mail.close());

  it("the claims of a worker on another host are left alone while their lease holds, and sent once it has run out: within 30 s, not 5 minutes", async () => {
    // given an email claimed by a worker on another machine, which then went silent
    const course = await createCourse(mail.server);
    await mail.server.gql(REGISTER, { input: registrationInput(course) });
    expect(await claimDueDeliveries(mail.server.app.deps, defaultDeliveryOptions, "another-host:4242:0123456789ab")).toHaveLength(1);
    // when this host's worker runs before the lease has run out, it leaves the claim alone
    mail.server.clock.advance(29_000);
    expect((await mail.server.app.worker.runOnce()).delivery.claimed).toBe(0);
    // then once it has, the email goes out
    mail.server.clock.advance(1000);
    await drain(mail.server.app.worker);
    expect((await deliveries(mail.server)).map((row) => [row.status, row.claimedBy])).toEqual([["SENT", null]]);
    expect(mail.smtp.received).toHaveLength(1);
  });

  it("a send that takes longer than the lease keeps its claim: the lease is renewed while it runs, and no other worker sends the email", async () => {
    // given a worker whose send to the real SMTP server is held open by the test, with a lease of 300 ms renewed every 50 ms
    const course = await createCourse(mail.server);
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(course) });
    const registrationId: string = data.register.registration.id;
    const receivedBefore = mail.smtp.received.length;
    const real = createSmtpTransport(mail.smtp.url);
    let release!: () => void;
    let started!: () => void;
    const sending = new Promise<void>((resolve) => (started = resolve));
    const gated: MailTransport = {
      description: "held open by the test",
      async send(message) {
        started();
        await new Promise<void>((resolve) => (release = resolve));
        return real.send(message);
      },
      close: () => real.close(),
    };
    const slow = createWorker(mail.server.app.deps, { transport: gated, log: pino({ level: "silent" }), delivery: { leaseMs: 300, renewEveryMs: 50 } });
    const step = slow.runOnce();
    await sending;

    // when time passes well beyond the lease while the message is being sent
    const other = createWorker(mail.server.app.deps, { transport: createSmtpTransport(mail.smtp.url), log: pino({ level: "silent" }), delivery: { leaseMs: 300 } });
    const claimedByOther: number[] = [];
    for (let i = 0; i < 5; i++) {
      mail.server.clock.advance(200);
      await new Promise((resolve) => setTimeout(resolve, 150));
      claimedByOther.push((await other.runOnce()).delivery.claimed);
    }
    release();
    const summary = await step;

    // then the claim held all along, and the email went out once
    expect(claimedByOther).toEqual([0, 0, 0, 0, 0]);
    expect(summary.delivery).toMatchObject({ claimed: 1, sent: 1 });
    const [row] = await deliveries(mail.server, { registrationId });
    expect(row).toMatchObject({ status: "SENT", attempts: 1, claimedBy: null });
    expect(mail.smtp.received.slice(receivedBefore).map((email) => email.messageId)).toEqual([row!.messageId]);
    real.close();
  });
});
