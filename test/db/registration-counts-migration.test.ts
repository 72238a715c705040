// SQLite only: it migrates an older SQLite file (drizzle/) and checks its triggers in raw SQL on the writer connection.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Sqlite from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { afterAll, describe, expect, it } from "vitest";
import { applyMigrations, migrationsFolder } from "../../src/db/migrate.js";
import { openSqlite } from "../../src/db/sqlite.js";

/*
 * A database from before the counts existed (migrations up to 0002) that already holds
 * registrations: the migration that brings in registration_counts must count them, and
 * the triggers must keep the counts from then on.
 */

const statuses = ["PENDING_REVIEW", "AWAITING_PAYMENT", "CONFIRMED", "WAITLISTED", "REJECTED", "CANCELLED"];

/** The committed migrations folder cut off after migration `lastIndex`. */
function migrationsUpTo(dir: string, lastIndex: number): string {
  const folder = join(dir, "drizzle-upto");
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalPath = join(folder, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((entry) => entry.idx <= lastIndex);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

function insertEvent(sqlite: Sqlite.Database, id: string): void {
  sqlite
    .prepare(
      `INSERT INTO events (id, slug, title, format, status, time_zone, starts_at, ends_at, waitlist_enabled, requires_review, created_at, updated_at)
       VALUES (?, ?, 'Old course', 'IN_PERSON', 'PUBLISHED', 'America/Los_Angeles', 1696433400000, 1696635000000, 1, 1, 0, 0)`,
    )
    .run(id, `old-${id}`);
}

function insertRegistration(sqlite: Sqlite.Database, eventId: string, n: number, status: string): void {
  sqlite
    .prepare(
      `INSERT INTO registrations (id, event_id, reference, status, first_name, last_name, email, email_normalized, profession, manage_token_hash, amount_due_minor, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'Old', 'Registrant', ?, ?, 'PSYCHIATRIST', ?, 0, ?, ?)`,
    )
    .run(`reg_old_${eventId}_${n}`, eventId, `OLD-${eventId}-${n}`, status, `old${n}@clinic.example`, `old${n}@clinic.example`, `hash-${eventId}-${n}`, n, n);
}

const kept = (sqlite: Sqlite.Database) =>
  sqlite.prepare("SELECT event_id, status, count FROM registration_counts WHERE count <> 0 ORDER BY event_id, status").all() as { event_id: string; status: string; count: number }[];
const fresh = (sqlite: Sqlite.Database) =>
  (sqlite.prepare("SELECT event_id, status, COUNT(*) AS count FROM registrations GROUP BY event_id, status ORDER BY event_id, status").all() as { event_id: string; status: string; count: number }[]);

describe("the registration counts migration", () => {
  const dir = mkdtempSync(join(tmpdir(), "events-migration-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("counts the registrations already there, and the triggers keep the counts from then on", async () => {
    // given a database at migration 0002 with registrations in every status on three events
    const db = openSqlite(join(dir, "events.db"));
    const sqlite = db.writer;
    migrate(drizzle({ client: sqlite }), { migrationsFolder: migrationsUpTo(dir, 2) });
    const tablesBefore = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'registration_counts'").all();
    expect(tablesBefore).toEqual([]);
    let n = 0;
    for (const [e, eventId] of ["evt_a", "evt_b", "evt_c"].entries()) {
      insertEvent(sqlite, eventId);
      for (let i = 0; i < 40 + e * 17; i++) insertRegistration(sqlite, eventId, n++, statuses[(i * (e + 1)) % statuses.length]!);
    }
    // when the rest of the migrations run
    await applyMigrations(db);
    // then the counts are the COUNT(*) of what was there
    expect(kept(sqlite)).toEqual(fresh(sqlite));
    expect(kept(sqlite).reduce((total, row) => total + row.count, 0)).toBe(n);
    // and from then on an insert, a status change and a delete (even in raw SQL) move them
    insertRegistration(sqlite, "evt_a", n++, "WAITLISTED");
    sqlite.prepare("UPDATE registrations SET status = 'CONFIRMED' WHERE id = ?").run("reg_old_evt_b_50");
    sqlite.prepare("UPDATE registrations SET first_name = 'Renamed' WHERE event_id = 'evt_c'").run();
    sqlite.prepare("DELETE FROM registrations WHERE id = ?").run("reg_old_evt_a_3");
    sqlite.prepare("UPDATE registrations SET status = 'CANCELLED' WHERE event_id = 'evt_c' AND status = 'WAITLISTED'").run();
    expect(kept(sqlite)).toEqual(fresh(sqlite));
    // and a write rolled back leaves them as they were
    const before = kept(sqlite);
    expect(() =>
      sqlite.transaction(() => {
        sqlite.prepare("UPDATE registrations SET status = 'REJECTED' WHERE event_id = 'evt_a'").run();
        throw new Error("rolled back");
      })(),
    ).toThrow("rolled back");
    expect(kept(sqlite)).toEqual(before);
    await db.close();
  });
});
