import { eq, sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBusyError, type Db } from "../../src/db/database.js";
import { openPostgres } from "../../src/db/postgres.js";
import { events, organisations, registrations } from "../../src/db/tables.js";
import type { Deps } from "../../src/deps.js";
import { register } from "../../src/modules/registrations/registrations.service.js";
import type { RegisterInput } from "../../src/modules/registrations/registrations.inputs.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { countRows } from "../helpers/db.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/*
 * The event row lock is what keeps concurrent transactions on PostgreSQL from overselling
 * (READ COMMITTED: each one's seat count misses the others' uncommitted inserts). The same
 * 200 registrations run through the real `register`, with the real lock and with a
 * lockEvent that only reads: the first holds exactly the capacity, the second oversells,
 * which proves the load overlaps and the first result can fail. (PostgreSQL only.)
 */

const CAPACITY = 20;

describe("register on PostgreSQL, with and without the event lock", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ now: new Date().toISOString(), env: { DATABASE_LOCK_TIMEOUT_MS: "1000" } });
  });
  afterAll(() => server?.close());

  async function registerAll(deps: Deps, course: TestCourse): Promise<number> {
    await Promise.allSettled(Array.from({ length: 200 }, () => register(deps, registrationInput(course) as RegisterInput, null, "test")));
    const rows = await deps.db.select({ status: registrations.status }).from(registrations).where(eq(registrations.eventId, course.id));
    return rows.filter((row) => row.status === "CONFIRMED").length;
  }

  async function freeCourse(): Promise<TestCourse> {
    const year = new Date().getUTCFullYear() + 1;
    return createCourse(server, {
      capacity: CAPACITY,
      priceMinor: 0,
      requiresReview: false,
      prerequisite: null,
      sessions: [`${year}-10-04`].map((day) => ({ title: "Day 1", kind: "LIVE", localStart: `${day}T08:30`, localEnd: `${day}T16:30` })),
    });
  }

  it("with the lock: exactly the capacity holds seats", async () => {
    const course = await freeCourse();
    expect(await registerAll(server.app.deps, course)).toBe(CAPACITY);
  });

  it("negative control: a lockEvent that only reads oversells under the same load", async () => {
    const course = await freeCourse();
    const db = server.app.deps.db;
    const unlocked: Db = Object.assign(Object.create(Object.getPrototypeOf(db)), db, {
      lockEvent: async (tx: Parameters<Db["lockEvent"]>[0], eventId: string) => (await tx.select().from(events).where(eq(events.id, eventId)))[0],
    });
    expect(await registerAll({ ...server.app.deps, db: unlocked }, course)).toBeGreaterThan(CAPACITY);
  });

  it("a registration that cannot get its event's lock in time fails with EVENT_BUSY and stores nothing", async () => {
    const course = await freeCourse();
    const before = await countRows(server, "registrations");
    // Another process holds the event's row (as a long capacity edit would).
    const holder = new pg.Client({ connectionString: (server.app.deps.config.database as { url: string }).url });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT id FROM events WHERE id = $1 FOR UPDATE", [course.id]);
      const { data, errors } = await server.gql(REGISTER, { input: registrationInput(course) });
      expect(data?.register ?? null).toBeNull();
      expect(errors?.map((error) => [error.extensions?.code, error.message])).toEqual([["EVENT_BUSY", "The event is busy with other changes; try again in a moment."]]);
      expect(errors?.[0]?.extensions?.retryAfterSeconds).toBe(1);
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
    expect(await countRows(server, "registrations")).toBe(before);
    // Once the lock is free, the same registration goes through.
    const { data } = await server.gql(REGISTER, { input: registrationInput(course) });
    expect(data.register.registration.status).toBe("CONFIRMED");
  });

  it("without the guard, a nested transaction cannot hang on the pool: its wait for a connection ends at maxWaitMs with EVENT_BUSY", async () => {
    // given a pool of one, as production opens the database (no AsyncLocalStorage guard)
    const url = (server.app.deps.config.database as { url: string }).url;
    const db: Db = openPostgres(url, { poolSize: 1, maxWaitMs: 300, transactionGuard: false });
    const slug = `pool-wait-${Date.now()}`;
    const now = new Date();
    try {
      // when the body asks for a second connection while it holds the only one
      const started = performance.now();
      const attempt = db.transaction(async (tx) => {
        await tx.insert(organisations).values({ id: `org_${slug}`, slug, name: slug, createdAt: now, updatedAt: now }).run();
        await db.transaction(async () => undefined);
      });

      // then
      await expect(attempt).rejects.toBeInstanceOf(EventBusyError);
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(await db.select().from(organisations).where(eq(organisations.slug, slug))).toEqual([]);
      // and the connection is back in the pool
      expect(await db.transaction(async (tx) => db.rows(sql`SELECT 1 AS one`, tx))).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });
});
