import { spawn } from "node:child_process";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { createWorker } from "../../src/jobs/worker.js";
import type { MailTransport } from "../../src/mail/transport.js";
import { databaseUrl } from "../helpers/db.js";
import { createCourse, REGISTER, registrationInput } from "../helpers/factories.js";
import { startTestSmtpServer, type TestSmtpServer } from "../helpers/smtp.js";
import { deliveries, drain, startMailHarness, type MailHarness } from "../mail/mail-harness.js";

const silentLog = pino({ level: "silent" });

describe("the worker loop", () => {
  const open: MailHarness[] = [];
  afterAll(async () => {
    for (const harness of open) await harness.close();
  });

  it("with WORKER=true the API process delivers on its own, and close() stops the loop", async () => {
    // given a server running its worker every 50 ms
    const mail = await startMailHarness({ env: { WORKER: "true", WORKER_INTERVAL_MS: "50" } });
    open.push(mail);
    expect(mail.server.app.worker.running).toBe(true);
    const course = await createCourse(mail.server);
    // when someone registers
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(course) });
    // then the email arrives without any test stepping the worker
    await mail.smtp.waitForCount(1);
    expect(mail.smtp.received[0]!.envelope.to).toEqual([data.register.registration.attendee.email]);
    await mail.server.close();
    open.pop();
    await mail.smtp.close();
    expect(mail.server.app.worker.running).toBe(false);
  });

  it("stop() lets the message being sent finish and be recorded, and hands the rest of the batch back at once", async () => {
    // given three queued emails and a worker whose transport takes a while, one message at a time
    const mail = await startMailHarness();
    open.push(mail);
    const course = await createCourse(mail.server);
    for (let i = 0; i < 3; i++) await mail.server.gql(REGISTER, { input: registrationInput(course) });
    let started!: () => void;
    const sending = new Promise<void>((resolve) => (started = resolve));
    const sent: string[] = [];
    const slow: MailTransport = {
      description: "slow",
      async send(message) {
        started();
        await new Promise((resolve) => setTimeout(resolve, 300));
        sent.push(String(message.messageId));
        return { response: "250 OK" };
      },
      close() {},
    };
    const worker = createWorker(mail.server.app.deps, { transport: slow, log: silentLog, intervalMs: 10, delivery: { concurrency: 1 } });
    worker.start();
    await sending;
    // when it is stopped mid-send
    await worker.stop();
    // then the send in flight finished and was recorded before stop() returned
    expect(worker.running).toBe(false);
    const rows = await deliveries(mail.server);
    expect(rows.filter((row) => row.status === "SENT").map((row) => row.messageId)).toEqual(sent);
    expect(sent).toHaveLength(1);
    expect(rows.find((row) => row.status === "SENT")).toMatchObject({ attempts: 1, claimedUntil: null });
    // and the other two were handed back unclaimed: the next worker sends them without waiting for a lease
    const rest = rows.filter((row) => row.status !== "SENT");
    expect(rest.map((row) => [row.status, row.attempts, row.claimedUntil])).toEqual([
      ["QUEUED", 0, null],
      ["QUEUED", 0, null],
    ]);
    await drain(mail.server.app.worker);
    expect(mail.smtp.received.map((email) => email.messageId).sort()).toEqual(rest.map((row) => row.messageId).sort());
  });

  describe("`npm run worker`: the worker as its own process", () => {
    let smtp: TestSmtpServer;
    afterAll(() => smtp?.close());

    it("delivers what the API queued in the shared database, and exits cleanly on SIGTERM", async () => {
      // given an API server (no worker) that has queued an email in its database
      smtp = await startTestSmtpServer();
      const mail = await startMailHarness({ env: { WORKER: "false" } });
      open.push(mail);
      const course = await createCourse(mail.server);
      const { data } = await mail.server.gql(REGISTER, { input: registrationInput(course) });
      // when the worker command runs against the same database
      const child = spawn(process.execPath, ["--enable-source-maps", "dist/main.js", "worker"], {
        cwd: join(import.meta.dirname, "../.."),
        env: {
          ...process.env,
          NODE_ENV: "test",
          DATABASE_URL: databaseUrl(mail.server),
          SMTP_URL: smtp.url,
          WORKER_INTERVAL_MS: "100",
          LOG_LEVEL: "silent",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      try {
        await smtp.waitForCount(1, 20_000);
      } catch (error) {
        child.kill("SIGKILL");
        throw new Error(`${(error as Error).message}\n${output}`);
      }
      // then
      expect(smtp.received[0]!.envelope.to).toEqual([data.register.registration.attendee.email]);
      expect(output).toContain(`Worker running: outbox every 100 ms, mail via smtp://127.0.0.1:${smtp.port}`);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect((await deliveries(mail.server))[0]).toMatchObject({ status: "SENT", attempts: 1 });
      // the API's own SMTP server got nothing: the separate worker did the sending
      expect(mail.smtp.received).toHaveLength(0);
    }, 30_000);
  });
});
