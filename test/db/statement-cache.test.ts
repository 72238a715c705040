// SQLite only: it tests better-sqlite3's statement cache of a connection (src/db/statement-cache.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/db/migrate.js";
import { openSqlite, type SqliteDb } from "../../src/db/sqlite.js";
import { organisations } from "../../src/db/tables.js";

/*
 * Statements are compiled once per SQL text and shared by every caller of the connection,
 * so a mode one caller sets on a statement (drizzle's raw rows, a pluck) must not change
 * what the next caller of the same SQL gets. Reads outside a transaction run on the
 * read-only connection: the raw statements here use that one too.
 */

describe("the connection's statement cache", () => {
  let dir: string;
  let db: SqliteDb;
  const compiled: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "statement-cache-"));
    db = openSqlite(join(dir, "events.db"), { onCompile: (sql) => compiled.push(sql) });
    await applyMigrations(db);
    const now = new Date("2023-06-01T12:00:00Z");
    await db.transaction((tx) => tx.insert(organisations).values({ id: "org_1", slug: "mila", name: "MILA", createdAt: now, updatedAt: now }).run());
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("compiles a SQL text once, however often and by whomever it is run", async () => {
    // given
    const sql = db.select().from(organisations).toSQL().sql;
    compiled.length = 0;

    // when
    for (let i = 0; i < 3; i++) await db.select().from(organisations).all();
    db.reader.prepare(sql).all();

    // then
    expect(compiled).toEqual([sql]);
  });

  it("hands a statement drizzle ran in raw mode to the next caller in the default mode", async () => {
    // given: drizzle reads rows as arrays (raw mode) and maps them itself
    const rows = await db.select().from(organisations).all();

    // when
    const plain = db.reader.prepare(db.select().from(organisations).toSQL().sql).all();

    // then
    expect(rows[0]).toMatchObject({ slug: "mila", createdAt: new Date("2023-06-01T12:00:00Z") });
    expect(plain[0]).toMatchObject({ id: "org_1", slug: "mila", name: "MILA" });
  });

  it("hands out a statement plucked by one caller unplucked to the next", () => {
    // when
    const plucked = db.reader.prepare("SELECT slug, name FROM organisations").pluck().get();
    const row = db.reader.prepare("SELECT slug, name FROM organisations").get();

    // then
    expect(plucked).toBe("mila");
    expect(row).toEqual({ slug: "mila", name: "MILA" });
  });
});
