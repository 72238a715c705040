// Runs on both databases: the processes share one SQLite file (sqlite project) or one fresh PostgreSQL database (postgres project), which the test queries itself.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import type { ServerProcess } from "../helpers/process.js";
import { createUpcomingCourse, startSharedDialectDatabase, type ApiClient, type SharedDialectDatabase } from "../helpers/shared-database.js";
import { spawnWorker, type WorkerProcess } from "../helpers/worker-process.js";

/*
 * Two API processes (and the separate worker) on one database: a SQLite file (sqlite
 * project) or one PostgreSQL database (postgres project). One process changes an event
 * (cancels it, lowers its capacity) while registrations stream into the other. Every round
 * checks, from the committed database, that no rule was decided on a stale read, and that
 * the change really landed while registrations were in flight (the load overlaps).
 */

const CANCEL_EVENT = /* GraphQL */ `
  mutation ($id: ID!) { cancelEvent(id: $id, reason: "Venue unavailable") { event { status } userErrors { code message } } }
`;
const UPDATE_EVENT = /* GraphQL */ `
  mutation ($id: ID!, $input: EventInput!) { updateEvent(id: $id, input: $input) { event { capacity } userErrors { field code message } } }
`;

const ROUNDS = 30;
const LANES = 4;

interface Attempt {
  startedAt: number;
  answeredAt: number;
  registrationId: string | null;
  status: string | null;
  code: string | null;
  errors: unknown;
}

/**
 * Registrations sent continuously to one process, LANES at a time. `finish(at)` lets each
 * lane send one more request that starts after `at` (so the stream outlasts the change),
 * then stops.
 */
function streamRegistrations(api: ApiClient, course: TestCourse) {
  const attempts: Attempt[] = [];
  let stopAfter: number | null = null;
  let successWaiters: { count: number; resolve: () => void }[] = [];
  const successes = () => attempts.filter((attempt) => attempt.registrationId).length;
  const lane = async () => {
    for (let sent = 0; sent < 60; sent++) {
      const startedAt = Date.now();
      if (stopAfter !== null && startedAt > stopAfter) {
        await send(startedAt);
        return;
      }
      await send(startedAt);
    }
  };
  const send = async (startedAt: number) => {
    const { data, errors } = await api.gql(REGISTER, { input: registrationInput(course) });
    const payload = data?.register;
    attempts.push({ startedAt, answeredAt: Date.now(), registrationId: payload?.registration?.id ?? null, status: payload?.registration?.status ?? null, code: payload?.userErrors?.[0]?.code ?? null, errors });
    successWaiters = successWaiters.filter((waiter) => (successes() >= waiter.count ? (waiter.resolve(), false) : true));
  };
  const lanes = Promise.all(Array.from({ length: LANES }, lane));
  return {
    attempts,
    whenSucceeded: (count: number) => new Promise<void>((resolve) => (successes() >= count ? resolve() : successWaiters.push({ count, resolve }))),
    async finish(at: number) {
      stopAfter = at;
      await lanes;
      return attempts;
    },
  };
}

/** Requests that were sent before the change was answered and answered after it was sent: in flight while it committed. */
function inFlightDuring(attempts: Attempt[], change: { sentAt: number; answeredAt: number }): number {
  return attempts.filter((attempt) => attempt.startedAt < change.answeredAt && attempt.answeredAt > change.sentAt).length;
}

describe("two API processes on one database", () => {
  let shared: SharedDialectDatabase;
  let changer: ServerProcess & { client: ApiClient };
  let registrar: ServerProcess & { client: ApiClient };

  beforeAll(async () => {
    shared = await startSharedDialectDatabase();
    changer = await shared.spawnApi();
    registrar = await shared.spawnApi();
  }, 120_000);
  afterAll(() => shared?.close());

  it(`cancelEvent in one process while the other takes registrations: no registration stays active on the cancelled event, and each registrant is told (${ROUNDS} rounds)`, async () => {
    const problems: string[] = [];
    const overlap: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // given a free course without review (a registration is CONFIRMED at once) taking registrations in process B
      const { course } = await createUpcomingCourse(changer.client, { capacity: 1000, requiresReview: false, priceMinor: 0 });
      const stream = streamRegistrations(registrar.client, course);
      await stream.whenSucceeded(3);

      // when process A cancels the event
      const sentAt = Date.now();
      const cancelled = await changer.client.admin(CANCEL_EVENT, { id: course.id });
      const answeredAt = Date.now();
      const attempts = await stream.finish(answeredAt);

      // then the cancellation worked, and the stream really overlapped it
      expect(cancelled.errors, `round ${round}`).toBeUndefined();
      expect(cancelled.data.cancelEvent).toEqual({ event: { status: "CANCELLED" }, userErrors: [] });
      overlap.push(inFlightDuring(attempts, { sentAt, answeredAt }));
      expect(attempts.filter((attempt) => attempt.errors)).toEqual([]);
      expect(attempts.every((attempt) => attempt.registrationId || attempt.code === "REGISTRATION_CLOSED"), `round ${round}: ${JSON.stringify(attempts.map((a) => a.code))}`).toBe(true);
      expect(attempts.some((attempt) => attempt.code === "REGISTRATION_CLOSED")).toBe(true);
      // and every registration committed on the event is cancelled, and its registrant has the cancellation in the outbox
      const rows = await shared.query<{ id: string; status: string; createdAt: number }>('SELECT id, status, created_at AS "createdAt" FROM registrations WHERE event_id = ?', [course.id]);
      const told = new Set((await shared.query<{ id: string }>("SELECT registration_id AS id FROM email_deliveries WHERE kind = 'EVENT_CHANGED' AND dedupe_key LIKE '%:EVENT_CHANGED:cancelled'")).map((row) => row.id));
      const succeeded = attempts.filter((attempt) => attempt.registrationId).map((attempt) => attempt.registrationId!);
      expect(rows.map((row) => row.id).sort()).toEqual([...succeeded].sort());
      for (const row of rows) {
        if (row.status !== "CANCELLED") problems.push(`round ${round}: ${row.id} is ${row.status} on the cancelled event`);
        else if (!told.has(row.id)) problems.push(`round ${round}: ${row.id} was never told of the cancellation`);
      }
    }
    expect(problems).toEqual([]);
    // negative control: in every round registrations were in flight in the other process while the cancellation committed
    expect(overlap.filter((count) => count === 0), `requests in flight per round: ${overlap.join(",")}`).toEqual([]);
  }, 120_000);

  it(`updateEvent lowering capacity in one process while the other registers: never more seats held than the capacity, and never "database is locked" (${ROUNDS} rounds)`, async () => {
    const problems: string[] = [];
    const overlap: number[] = [];
    const outcomes = { lowered: 0, refused: 0 };
    for (let round = 1; round <= ROUNDS; round++) {
      // given a course of 10 with review (a new registration holds a seat, PENDING_REVIEW) and 4 seats held
      const { course, input } = await createUpcomingCourse(changer.client, { capacity: 10, waitlistEnabled: true });
      for (let i = 0; i < 4; i++) await registrar.client.gql(REGISTER, { input: registrationInput(course) });
      const stream = streamRegistrations(registrar.client, course);
      await stream.whenSucceeded(1);

      // when process A lowers the capacity (to 6, 7, 8 or 9 by round: how many more seats the
      // stream takes before the change commits depends on the machine's speed, and every
      // round refused on a fast one when it was always 6) while process B takes registrations
      const lowerTo = 6 + (round % 4);
      const sentAt = Date.now();
      const updated = await changer.client.admin(UPDATE_EVENT, { id: course.id, input: { ...input, capacity: lowerTo } });
      const answeredAt = Date.now();
      const attempts = await stream.finish(answeredAt);

      // then the update answered (lowered, or refused because more than lowerTo seats were held by then)
      overlap.push(inFlightDuring(attempts, { sentAt, answeredAt }));
      if (updated.errors) problems.push(`round ${round}: updateEvent failed: ${JSON.stringify(updated.errors)}`);
      else if (updated.data.updateEvent.userErrors.length === 0) outcomes.lowered++;
      else {
        expect(updated.data.updateEvent.userErrors).toEqual([expect.objectContaining({ field: ["input", "capacity"], code: "INVALID" })]);
        outcomes.refused++;
      }
      expect(attempts.filter((attempt) => attempt.errors)).toEqual([]);
      // and the committed state holds no more seats than the committed capacity
      const { capacity } = (await shared.query<{ capacity: number }>("SELECT capacity FROM events WHERE id = ?", [course.id]))[0]!;
      const held = Number((await shared.query<{ held: number }>("SELECT count(*) AS held FROM registrations WHERE event_id = ? AND status IN ('PENDING_REVIEW', 'AWAITING_PAYMENT', 'CONFIRMED')", [course.id]))[0]!.held);
      if (held > capacity) problems.push(`round ${round}: ${held} seats held for capacity ${capacity}`);
    }
    expect(problems).toEqual([]);
    // the change landed in the middle of the stream every round, and both outcomes were seen
    expect(overlap.filter((count) => count === 0), `requests in flight per round: ${overlap.join(",")}`).toEqual([]);
    expect(outcomes.lowered, JSON.stringify(outcomes)).toBeGreaterThan(0);
  }, 120_000);
});

describe("an API process and the separate worker on one database", () => {
  let shared: SharedDialectDatabase;
  let api: ServerProcess & { client: ApiClient };
  let worker: WorkerProcess;

  beforeAll(async () => {
    shared = await startSharedDialectDatabase();
    api = await shared.spawnApi();
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await shared?.close();
  });

  it(`updateEvent while the worker is writing the outbox never fails with "database is locked" (${ROUNDS}+ updates)`, async () => {
    // given 150 registrants of a course (free, no review) whose emails wait in the outbox, and the worker delivering them
    const { course, input } = await createUpcomingCourse(api.client, { capacity: 1000, requiresReview: false, priceMinor: 0 });
    for (let i = 0; i < 15; i++) await Promise.all(Array.from({ length: 10 }, () => api.client.gql(REGISTER, { input: registrationInput(course) })));
    const count = async (sql: string) => Number((await shared.query<{ n: number }>(sql))[0]!.n);
    const sentCount = () => count("SELECT count(*) AS n FROM email_deliveries WHERE status = 'SENT'");
    const dueCount = () => count("SELECT count(*) AS n FROM email_deliveries WHERE status IN ('QUEUED', 'RETRYING')");
    worker = await spawnWorker({ DATABASE_URL: shared.databaseUrl, MAIL_DIR: `${shared.dir}/worker-mail`, WORKER_INTERVAL_MS: "10", LOG_LEVEL: "warn" });
    while ((await sentCount()) === 0) await new Promise((resolve) => setTimeout(resolve, 10));

    // when the admin edits the event again and again while the worker sends
    const updates: { sentAt: number; answeredAt: number; errors: unknown; userErrors: unknown }[] = [];
    for (let round = 1; updates.length < ROUNDS || ((await dueCount()) > 0 && round <= 300); round++) {
      const sentAt = Date.now();
      const result = await api.client.admin(UPDATE_EVENT, { id: course.id, input: { ...input, summary: `Edit ${round}` } });
      updates.push({ sentAt, answeredAt: Date.now(), errors: result.errors, userErrors: result.data?.updateEvent?.userErrors });
    }

    // then every update succeeded
    expect(updates.filter((update) => update.errors || (update.userErrors as unknown[]).length)).toEqual([]);
    // negative control: the worker committed deliveries while the updates were running
    // (sent_at as epoch milliseconds on both databases: shared.query)
    const sentTimes = (await shared.query<{ sentAt: number }>(`SELECT sent_at AS "sentAt" FROM email_deliveries WHERE status = 'SENT'`)).map((row) => row.sentAt);
    const updatesOverlapped = updates.filter((update) => sentTimes.some((at) => at >= update.sentAt && at <= update.answeredAt)).length;
    expect(updatesOverlapped, "updates during which the worker committed a delivery").toBeGreaterThanOrEqual(10);
  }, 120_000);
});
