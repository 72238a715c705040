import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, is } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as schema from "../../src/db/schema.pg.js";
import { createScratchDatabase, postgresAddress, postgresForTests, postgresTestUrl, type ScratchDatabase } from "../helpers/postgres.js";
import { projectRoot } from "../helpers/process.js";

/*
 * drizzle-pg/ applied to an empty PostgreSQL database: it builds every table of
 * schema.pg.ts, and its triggers keep registration_counts equal to COUNT(*) per event and
 * status through inserts, status and event changes, deletes and rollbacks.
 *
 * These need a PostgreSQL server (TEST_DATABASE_URL, else the local one). Without one they
 * are skipped with a notice; REQUIRE_POSTGRES=1 turns its absence into a failure.
 */

const migrationsFolder = join(projectRoot, "drizzle-pg");
const address = postgresAddress(postgresTestUrl);
const unavailable = await postgresForTests("the PostgreSQL migration tests");

const pgTables = (Object.values(schema) as unknown[]).filter((value): value is PgTable => is(value, PgTable));

type Count = { event_id: string; status: string; count: number };
const KEPT = `SELECT event_id, status, count FROM registration_counts WHERE count <> 0 ORDER BY event_id, status`;
const FRESH = `SELECT event_id, status, COUNT(*)::int AS count FROM registrations GROUP BY event_id, status ORDER BY event_id, status`;

/** Every status in turn, so that each (event, status) gets a count. */
const statusOf = (n: number) => schema.registrationStatuses[n % schema.registrationStatuses.length]!;

const at = new Date("2023-10-04T15:30:00.000Z");

function eventRow(id: string): typeof schema.events.$inferInsert {
  return {
    id,
    slug: `course-${id}`,
    title: "Course",
    format: "IN_PERSON",
    status: "PUBLISHED",
    timeZone: "America/Los_Angeles",
    startsAt: at,
    endsAt: new Date(at.getTime() + 3 * 3_600_000),
    waitlistEnabled: true,
    requiresReview: false,
    createdAt: at,
    updatedAt: at,
  };
}

function registrationRow(eventId: string, n: number, status: (typeof schema.registrationStatuses)[number]): typeof schema.registrations.$inferInsert {
  return {
    id: `reg_${eventId}_${n}`,
    eventId,
    reference: `REF-${eventId}-${n}`,
    status,
    firstName: "Ada",
    lastName: "Registrant",
    email: `ada${n}@clinic.example`,
    emailNormalized: `ada${n}@clinic.example`,
    profession: "PSYCHIATRIST",
    manageTokenHash: `hash-${eventId}-${n}`,
    amountDueMinor: 0,
    createdAt: new Date(at.getTime() + n),
    updatedAt: at,
  };
}

/** A migrations folder holding only the first `count` migrations of drizzle-pg/. */
function firstMigrations(dir: string, count: number): string {
  const folder = join(dir, "drizzle-pg-first");
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalPath = join(folder, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((entry) => entry.idx < count);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

describe.skipIf(unavailable !== null)(`drizzle-pg/ migrations on PostgreSQL${unavailable ? ` (skipped: no PostgreSQL at ${address}: ${unavailable})` : ""}`, () => {
  let database: ScratchDatabase;
  let pool: pg.Pool;
  let db: NodePgDatabase<typeof schema>;
  const kept = async () => (await pool.query<Count>(KEPT)).rows;
  const fresh = async () => (await pool.query<Count>(FRESH)).rows;

  beforeAll(async () => {
    database = await createScratchDatabase(postgresTestUrl, "events_test_migrations");
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = drizzle({ client: pool, schema });
    await migrate(db, { migrationsFolder });
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it("creates every table of schema.pg.ts, with its columns and indexes", async () => {
    // A schema.pg.ts changed without `npm run db:generate:pg` fails here.
    const columns = await pool.query<{ table_name: string; column_name: string; is_nullable: "YES" | "NO" }>(
      `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = current_schema()`,
    );
    const indexes = await pool.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()`);
    const indexNames = new Set(indexes.rows.map((row) => row.indexname));
    for (const table of pgTables) {
      const config = getTableConfig(table);
      const inDatabase = columns.rows.filter((row) => row.table_name === config.name);
      expect(inDatabase.length, `table ${config.name}`).toBeGreaterThan(0);
      expect(Object.fromEntries(inDatabase.map((row) => [row.column_name, row.is_nullable === "NO"])), `columns of ${config.name}`).toEqual(
        Object.fromEntries(config.columns.map((column) => [column.name, column.notNull])),
      );
      for (const index of config.indexes) expect(indexNames.has(index.config.name!), `index ${index.config.name}`).toBe(true);
    }
  });

  it("keeps registration_counts equal to COUNT(*) per event and status", async () => {
    // given two events with registrations in several statuses
    await db.insert(schema.events).values([eventRow("evt_a"), eventRow("evt_b")]);
    await db.insert(schema.registrations).values(Array.from({ length: 30 }, (_, n) => registrationRow(n % 3 === 0 ? "evt_b" : "evt_a", n, statusOf(n))));
    expect(await kept()).toEqual(await fresh());
    expect((await kept()).reduce((total, row) => total + row.count, 0)).toBe(30);

    // when a registration changes status, moves to another event, changes both, or only its name
    const changed = (result: { rowCount: number | null }) => result.rowCount;
    expect(changed(await db.update(schema.registrations).set({ status: "CONFIRMED" }).where(eq(schema.registrations.id, "reg_evt_a_1")))).toBe(1);
    expect(changed(await db.update(schema.registrations).set({ eventId: "evt_b" }).where(eq(schema.registrations.id, "reg_evt_a_2")))).toBe(1);
    expect(changed(await db.update(schema.registrations).set({ eventId: "evt_a", status: "WAITLISTED" }).where(eq(schema.registrations.id, "reg_evt_b_3")))).toBe(1);
    expect(changed(await db.update(schema.registrations).set({ firstName: "Renamed" }).where(eq(schema.registrations.eventId, "evt_a")))).toBe(20);
    // and one statement changes many rows, and some are deleted
    expect(changed(await pool.query(`UPDATE registrations SET status = 'CANCELLED' WHERE event_id = 'evt_b' AND status <> 'CANCELLED'`))).toBeGreaterThan(1);
    expect(changed(await db.delete(schema.registrations).where(eq(schema.registrations.id, "reg_evt_a_5")))).toBe(1);
    expect(changed(await pool.query(`DELETE FROM registrations WHERE event_id = 'evt_a' AND status = 'REJECTED'`))).toBeGreaterThan(1);

    // then the kept counts are still the counted ones
    expect(await kept()).toEqual(await fresh());
    // and an (event, status) that has emptied stays, at 0
    const emptied = await pool.query<Count>(`SELECT event_id, status, count FROM registration_counts WHERE count = 0 ORDER BY event_id, status`);
    expect(emptied.rows).toEqual([
      { event_id: "evt_a", status: "REJECTED", count: 0 },
      { event_id: "evt_b", status: "CONFIRMED", count: 0 },
      { event_id: "evt_b", status: "PENDING_REVIEW", count: 0 },
      { event_id: "evt_b", status: "WAITLISTED", count: 0 },
    ]);
  });

  it("leaves the counts as they were when the write is rolled back", async () => {
    // given the counts as they are
    const before = await kept();
    // when a transaction moves registrations and then fails
    await expect(
      db.transaction(async (tx) => {
        await tx.update(schema.registrations).set({ status: "REJECTED" }).where(eq(schema.registrations.eventId, "evt_a"));
        await tx.insert(schema.registrations).values(registrationRow("evt_a", 100, "CONFIRMED"));
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    // then nothing moved
    expect(await kept()).toEqual(before);
    expect(await kept()).toEqual(await fresh());
  });

  it("counts, once, the registrations written before the triggers' migration", async () => {
    // given a database at the first migration only, already holding registrations
    const dir = mkdtempSync(join(tmpdir(), "events-pg-migrations-"));
    const older = await createScratchDatabase(postgresTestUrl, "events_test_migrations");
    const olderPool = new pg.Pool({ connectionString: older.url, max: 1 });
    try {
      const olderDb = drizzle({ client: olderPool, schema });
      await migrate(olderDb, { migrationsFolder: firstMigrations(dir, 1) });
      await olderDb.insert(schema.events).values([eventRow("evt_old")]);
      await olderDb.insert(schema.registrations).values(Array.from({ length: 12 }, (_, n) => registrationRow("evt_old", n, statusOf(n))));
      expect((await olderPool.query(KEPT)).rows).toEqual([]);
      // when the rest of the migrations run
      await migrate(olderDb, { migrationsFolder });
      // then the counts are the COUNT(*) of what was there, and the triggers go on from there
      expect((await olderPool.query(KEPT)).rows).toEqual((await olderPool.query(FRESH)).rows);
      await olderDb.update(schema.registrations).set({ status: "CANCELLED" }).where(eq(schema.registrations.id, "reg_evt_old_0"));
      expect((await olderPool.query(KEPT)).rows).toEqual((await olderPool.query(FRESH)).rows);
    } finally {
      await olderPool.end();
      await older.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
