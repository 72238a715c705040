import { count, ne } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOUR_MS } from "../../src/common/time.js";
import { registrationChanges, registrationCounts, registrations } from "../../src/db/tables.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/*
 * The per-(event, status) counts that triggers keep (registration_counts) against the truth:
 * a fresh COUNT(*) of registrations, after a random mix of concurrent state changes over
 * HTTP and offers lapsed by the worker's job under an advanced clock.
 */

const REVIEW = /* GraphQL */ `
  mutation ($input: ReviewRegistrationInput!) { reviewRegistration(input: $input) { registration { status } userErrors { code } } }
`;
const PAY = /* GraphQL */ `
  mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { registration { status } userErrors { code } } }
`;
const CANCEL = /* GraphQL */ `
  mutation ($input: CancelRegistrationInput!) { cancelRegistration(input: $input) { registration { status } userErrors { code } } }
`;
const EVENT_COUNTS = /* GraphQL */ `
  query ($id: ID!) {
    event(id: $id) {
      capacity seatsRemaining
      all: registrations(first: 1) { totalCount }
      waiting: registrations(first: 1, status: [WAITLISTED]) { totalCount }
      holding: registrations(first: 1, status: [PENDING_REVIEW, AWAITING_PAYMENT, CONFIRMED]) { totalCount }
    }
  }
`;
const ADMIN_TOTALS = /* GraphQL */ `
  query ($eventId: ID, $status: [RegistrationStatus!]) { registrations(eventId: $eventId, status: $status, first: 1) { totalCount } }
`;

const OPERATIONS = 1_000;
const CONCURRENCY = 50;

/** A small seeded generator, so a failing mix can be replayed. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Counts = Record<string, number>;

async function keptCounts(server: TestServer): Promise<Counts> {
  const rows = await server.app.deps.db.select().from(registrationCounts).where(ne(registrationCounts.count, 0));
  return Object.fromEntries(rows.map((row) => [`${row.eventId} ${row.status}`, row.count]));
}

async function freshCounts(server: TestServer): Promise<Counts> {
  const rows = await server.app.deps.db
    .select({ eventId: registrations.eventId, status: registrations.status, n: count() })
    .from(registrations)
    .groupBy(registrations.eventId, registrations.status);
  return Object.fromEntries(rows.map((row) => [`${row.eventId} ${row.status}`, row.n]));
}

const sumOf = (counts: Counts, eventId: string | null, statuses: string[] | null) =>
  Object.entries(counts)
    .filter(([key]) => {
      const [event, status] = key.split(" ");
      return (eventId === null || event === eventId) && (statuses === null || statuses.includes(status!));
    })
    .reduce((total, [, n]) => total + n, 0);

describe("registration counts kept by the database", () => {
  let server: TestServer;
  let courses: (TestCourse & { capacity: number })[];

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RATE_LIMITS: "off" } });
    // Small capacities so the mix fills them, queues, promotes and lapses; with and without review, paid and free.
    const shapes = [
      { capacity: 4, requiresReview: true, priceMinor: 125000 },
      { capacity: 6, requiresReview: false, priceMinor: 125000 },
      { capacity: 3, requiresReview: true, priceMinor: 0 },
      { capacity: 5, requiresReview: false, priceMinor: 0 },
    ];
    courses = [];
    for (const shape of shapes) courses.push({ ...(await createCourse(server, { ...shape, offerWindowHours: 1, waitlistEnabled: true })), capacity: shape.capacity });
  });
  afterAll(() => server.close());

  it(`equal a fresh COUNT(*) for every event after ${OPERATIONS} concurrent register/approve/reject/pay/cancel/lapse operations`, { timeout: 300_000 }, async () => {
    // given
    const random = mulberry32(20231004);
    const pick = <T>(items: T[]): T | undefined => items[Math.floor(random() * items.length)];
    const known: string[] = [];
    const done: Record<string, number> = {};
    const note = (kind: string) => (done[kind] = (done[kind] ?? 0) + 1);
    const operation = (): (() => Promise<unknown>) => {
      const roll = random();
      const id = pick(known);
      if (roll < 0.4 || !id) {
        const course = pick(courses)!;
        return async () => {
          const { data } = await server.gql(REGISTER, { input: registrationInput(course, { joinWaitlist: random() < 0.9 }) });
          if (data?.register.registration) known.push(data.register.registration.id);
          note("register");
        };
      }
      if (roll < 0.55) return () => server.admin(REVIEW, { input: { registrationId: id, decision: "APPROVE" } }).then(() => note("approve"));
      if (roll < 0.62) return () => server.admin(REVIEW, { input: { registrationId: id, decision: "REJECT" } }).then(() => note("reject"));
      if (roll < 0.78) return () => server.admin(PAY, { input: { registrationId: id, amountMinor: 125000, currency: "USD", method: "card" } }).then(() => note("pay"));
      if (roll < 0.97) return () => server.admin(CANCEL, { input: { registrationId: id } }).then(() => note("cancel"));
      // Past every open offer's window: the worker's job lapses them and offers the seats on.
      return async () => {
        server.clock.advance(2 * HOUR_MS);
        await server.app.worker.runOnce();
        note("lapse");
      };
    };

    // when the operations run CONCURRENCY at a time
    for (let started = 0; started < OPERATIONS; started += CONCURRENCY) {
      const wave = Array.from({ length: Math.min(CONCURRENCY, OPERATIONS - started) }, operation);
      const outcomes = await Promise.allSettled(wave.map((run) => run()));
      const failed = outcomes.find((outcome) => outcome.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }

    // then the mix did exercise every path the counts must follow
    const actions = await server.app.deps.db.select({ action: registrationChanges.action, n: count() }).from(registrationChanges).groupBy(registrationChanges.action);
    const byAction = Object.fromEntries(actions.map((row) => [row.action, row.n]));
    expect(Object.values(done).reduce((a, b) => a + b, 0)).toBe(OPERATIONS);
    for (const action of ["REGISTERED", "APPROVED", "REJECTED", "PAID_IN_FULL", "CANCELLED", "PROMOTED", "OFFER_LAPSED"]) {
      expect(byAction[action] ?? 0, `${action} in ${JSON.stringify(byAction)}`).toBeGreaterThan(0);
    }
    // and the kept counts are the truth
    const fresh = await freshCounts(server);
    expect(await keptCounts(server)).toEqual(fresh);
    // and so is everything the API reads from them
    const holding = ["PENDING_REVIEW", "AWAITING_PAYMENT", "CONFIRMED"];
    for (const course of courses) {
      const { data } = await server.admin(EVENT_COUNTS, { id: course.id });
      const held = sumOf(fresh, course.id, holding);
      expect(held).toBeLessThanOrEqual(course.capacity);
      expect(data.event).toEqual({
        capacity: course.capacity,
        seatsRemaining: course.capacity - held,
        all: { totalCount: sumOf(fresh, course.id, null) },
        waiting: { totalCount: sumOf(fresh, course.id, ["WAITLISTED"]) },
        holding: { totalCount: held },
      });
    }
    for (const [eventId, status] of [[null, null], [courses[0]!.id, null], [null, ["CANCELLED", "REJECTED"]], [courses[1]!.id, ["CONFIRMED"]]] as const) {
      const { data } = await server.admin(ADMIN_TOTALS, { eventId, status });
      expect(data.registrations.totalCount).toBe(sumOf(fresh, eventId, status as string[] | null));
    }
  });
});
