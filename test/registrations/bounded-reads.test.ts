// SQLite only: it reads SQLite's EXPLAIN QUERY PLAN of the statements the server runs (PostgreSQL plans otherwise; that both dialects have the same indexes is schema-drift.test.ts's check).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOUR_MS } from "../../src/common/time.js";
import type { SqliteDb } from "../../src/db/sqlite.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/*
 * What keeps seatsRemaining, totalCount, register's seat check, the admin list's pages and
 * the scheduler's scans as fast at a million registrations as at a thousand, checked on
 * the statements the server really runs (captured by the database's onStatement hook):
 * SQLite's EXPLAIN QUERY PLAN for each must read registrations (and the scheduler's tables)
 * only through an index range or an index-ordered walk cut off by LIMIT, never a whole-table
 * SCAN or a sort of every matching row, and nothing may COUNT registrations.
 */

const SEATS = /* GraphQL */ `query ($id: ID!) { event(id: $id) { seatsRemaining } }`;
const LIST = /* GraphQL */ `
  query ($eventId: ID, $status: [RegistrationStatus!], $after: String) {
    registrations(eventId: $eventId, status: $status, first: 5, after: $after) { totalCount pageInfo { endCursor } edges { node { id status } } }
  }
`;
const EVENT_LIST = /* GraphQL */ `
  query ($id: ID!, $status: [RegistrationStatus!]) { event(id: $id) { registrations(first: 5, status: $status) { totalCount edges { node { id } } } } }
`;
/** register as S4 of the benchmark asks it (waitlistPosition is O(place in the queue): not asked). */
const REGISTER_BRIEFLY = /* GraphQL */ `
  mutation ($input: RegisterInput!) { register(input: $input) { registration { id status } userErrors { code } } }
`;
const CANCEL = /* GraphQL */ `
  mutation ($id: ID!) { cancelRegistration(input: { registrationId: $id }) { registration { status } userErrors { code } } }
`;

interface Planned {
  sql: string;
  plan: string[];
}

/** Runs `action` and returns the statements it made the server run, each with its query plan. */
async function plannedStatements(server: TestServer, action: () => Promise<unknown>): Promise<Planned[]> {
  const from = server.statements.length;
  await action();
  const sqlite = (server.app.deps.db as SqliteDb).writer;
  return server.statements.slice(from).map((sql) => {
    // The plan does not depend on the values: bind nulls for drizzle's `?` placeholders.
    const parameters = Array<null>((sql.match(/\?/g) ?? []).length).fill(null);
    const plan = (sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as { detail: string }[]).map((row) => row.detail);
    return { sql, plan };
  });
}

/** Why a statement's cost could grow with the number of rows of `tables`; null when it cannot. */
function unboundedRead(statement: Planned, tables: string[]): string | null {
  for (const table of tables) {
    if (new RegExp(`count\\([^)]*\\)[\\s\\S]*from "${table}"`, "i").test(statement.sql)) return `counts ${table}`;
    for (const step of statement.plan) {
      if (new RegExp(`^SCAN ${table}$`).test(step)) return `${step}: a whole-table scan`;
      // An index walked in order is bounded only by a LIMIT with nothing left to sort.
      if (new RegExp(`^SCAN ${table} USING (COVERING )?INDEX`).test(step) && !/\blimit\b/i.test(statement.sql)) return `${step} without a LIMIT`;
    }
  }
  // Sorting registrations means reading every matching one first (the waitlist, an event's list).
  if (statement.sql.includes('"registrations"') && statement.plan.some((step) => /TEMP B-TREE/.test(step))) return "sorts every matching registration";
  return null;
}

function expectBounded(statements: Planned[], tables: string[]): void {
  expect(statements.length).toBeGreaterThan(0);
  const problems = statements.map((statement) => ({ problem: unboundedRead(statement, tables), ...statement })).filter((statement) => statement.problem);
  expect(problems, JSON.stringify(problems, null, 2)).toEqual([]);
}

const mentions = (statements: Planned[], table: string) => statements.filter((statement) => statement.sql.includes(`"${table}"`));

describe("reads whose cost does not grow with the registrations", () => {
  let server: TestServer;
  let course: TestCourse;
  let other: TestCourse;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RATE_LIMITS: "off" } });
    course = await createCourse(server, { capacity: 3, offerWindowHours: 1 });
    other = await createCourse(server, { capacity: 2, requiresReview: false });
    // A full course with a waitlist, on two events, so every path has rows to find.
    for (let i = 0; i < 6; i++) await server.gql(REGISTER, { input: registrationInput(i % 2 ? other : course) });
  });
  afterAll(() => server.close());

  it("seatsRemaining reads the kept counts, not registrations", async () => {
    const statements = await plannedStatements(server, () => server.gql(SEATS, { id: course.id }));
    expect(mentions(statements, "registrations")).toEqual([]);
    expect(mentions(statements, "registration_counts")).toHaveLength(1);
    expectBounded(statements, ["registrations", "registration_counts"]);
  });

  it("register checks seats on the kept counts and finds duplicates and references by index, for a seat and for the waitlist", async () => {
    for (const target of [course, other]) {
      const statements = await plannedStatements(server, async () => {
        const { data } = await server.gql(REGISTER_BRIEFLY, { input: registrationInput(target) });
        expect(data.register.userErrors).toEqual([]);
      });
      expect(mentions(statements, "registration_counts").length).toBeGreaterThan(0);
      expectBounded(statements, ["registrations", "registration_counts"]);
    }
  });

  it.each([
    ["all events", {}],
    ["one event", { eventId: "course" }],
    ["one status", { status: ["WAITLISTED"] }],
    ["several statuses", { status: ["PENDING_REVIEW", "CONFIRMED", "WAITLISTED"] }],
    ["one event and one status", { eventId: "course", status: ["PENDING_REVIEW"] }],
    ["one event and several statuses", { eventId: "other", status: ["CONFIRMED", "WAITLISTED"] }],
  ])("the admin list by %s: first and next page from an index range, totalCount from the kept counts", async (_, filter: { eventId?: string; status?: string[] }) => {
    const variables = { ...filter, eventId: filter.eventId === "course" ? course.id : filter.eventId === "other" ? other.id : undefined };
    let endCursor: string | null = null;
    const first = await plannedStatements(server, async () => {
      const { data, errors } = await server.admin(LIST, variables);
      expect(errors).toBeUndefined();
      expect(data.registrations.edges.length).toBeGreaterThan(0);
      endCursor = data.registrations.pageInfo.endCursor;
    });
    const next = await plannedStatements(server, () => server.admin(LIST, { ...variables, after: endCursor }));
    for (const statements of [first, next]) {
      // Totals over all events add up registration_counts rows: that grows with events × statuses, not registrations.
      expectBounded(statements, ["registrations"]);
      if (variables.eventId) expectBounded(statements, ["registration_counts"]);
      // The page's own reads only: every registrations statement has a LIMIT.
      expect(mentions(statements, "registrations").filter((statement) => !/\blimit\b/i.test(statement.sql))).toEqual([]);
    }
  });

  it("an event's registrations field, as the admin, reads the same way", async () => {
    for (const status of [null, ["WAITLISTED"], ["PENDING_REVIEW", "WAITLISTED"]]) {
      const statements = await plannedStatements(server, () => server.admin(EVENT_LIST, { id: course.id, status }));
      expectBounded(statements, ["registrations", "registration_counts"]);
    }
  });

  it("the scheduler's scans (offers to lapse, access to grant, due emails, expired idempotency keys) read their indexes", async () => {
    // given an open offer from the waitlist past its window (and the emails so far sent)
    await server.gql(REGISTER_BRIEFLY, { input: registrationInput(course) });
    await server.app.worker.runOnce();
    const { data } = await server.admin(LIST, { eventId: course.id, status: ["PENDING_REVIEW"] });
    const cancelled = await server.admin(CANCEL, { id: data.registrations.edges[0].node.id });
    expect(cancelled.data.cancelRegistration.userErrors).toEqual([]);
    server.clock.advance(2 * HOUR_MS);
    // when the worker takes a step
    let lapsed = 0;
    const statements = await plannedStatements(server, async () => {
      lapsed = (await server.app.worker.runOnce()).jobs.lapsedOffers;
    });
    // then it did its work through indexes only
    expect(lapsed).toBe(1);
    expectBounded(statements, ["registrations", "email_deliveries", "idempotency_keys", "registration_counts"]);
    // Due emails are found by (status, next_attempt_at), so sent ones are never read; the
    // due ones are then sorted oldest first, which is bounded by the backlog, not the history.
    // (The claim selects them, locked on PostgreSQL, then leases them by id.)
    const claims = statements.filter((statement) => /^select "id" from "email_deliveries" where[^]*"next_attempt_at" <= \?[^]*limit \?/.test(statement.sql));
    expect(claims.length).toBeGreaterThan(0);
    for (const claim of claims) expect(claim.plan.join(" | ")).toMatch(/SEARCH email_deliveries USING INDEX email_deliveries_due_idx \(status=\? AND next_attempt_at<\?\)/);
    const lapsing = statements.filter((statement) => /from "registrations" where "registrations"."offer_expires_at" <= \?/.test(statement.sql));
    expect(lapsing.map((statement) => statement.plan)).toEqual([["SEARCH registrations USING INDEX registrations_offer_expiry_idx (offer_expires_at<?)"]]);
    const granting = statements.filter((statement) => /from "registrations" where \("registrations"."access_scheduled_for" <= \?/.test(statement.sql));
    expect(granting.map((statement) => statement.plan)).toEqual([["SEARCH registrations USING INDEX registrations_access_due_idx (access_scheduled_for<?)"]]);
  });
});
