// SQLite only: it upgrades an older SQLite file and reads the bytes of the file and its WAL.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { afterEach, describe, expect, it } from "vitest";
import { applyMigrations, migrationsFolder } from "../../src/db/migrate.js";
import { openSqlite } from "../../src/db/sqlite.js";

/*
 * A database made before migration 0002 kept live tokens in clear in the outbox payloads
 * and the idempotency records. After upgrading, no byte of them may be left in the file or
 * its WAL: a copy of the database must hand out nothing.
 */

const liveManageToken = `mt_${"K".repeat(32)}`;
const liveSignInToken = `sl_${"S".repeat(32)}`;

/** The migrations folder as it was before 0002: the first two entries of the journal. */
function migrationsBefore0002(): string {
  const folder = mkdtempSync(join(tmpdir(), "migrations-0001-"));
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalPath = join(folder, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8"));
  journal.entries = journal.entries.slice(0, 2);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

function fileBytes(path: string): string {
  return [path, `${path}-wal`].filter(existsSync).map((file) => readFileSync(file).toString("latin1")).join("");
}

describe("upgrading a database that kept tokens in clear", () => {
  const cleanup: string[] = [];
  afterEach(() => cleanup.splice(0).forEach((path) => rmSync(path, { recursive: true, force: true })));

  it("removes them from the rows, the free pages and the WAL", async () => {
    // given: a database at 0001 with the tokens an older version stored, a lot of them, in a WAL
    const dir = mkdtempSync(join(tmpdir(), "forget-tokens-"));
    const oldMigrations = migrationsBefore0002();
    cleanup.push(dir, oldMigrations);
    const path = join(dir, "events.db");
    const old = openSqlite(path);
    migrate(drizzle({ client: old.writer }), { migrationsFolder: oldMigrations });
    const insert = old.writer.prepare(
      "INSERT INTO email_deliveries (id, dedupe_key, kind, to_address, subject, payload, status, attempts, next_attempt_at, message_id, created_at) VALUES (?, ?, 'REGISTRANT_SIGN_IN', 'ada@clinic.example', 'Sign in', ?, 'SENT', 1, 0, ?, 0)",
    );
    for (let i = 0; i < 200; i++) insert.run(`eml_${i}`, `k${i}`, JSON.stringify({ manageToken: liveManageToken, signInToken: liveSignInToken, padding: "x".repeat(500) }), `<${i}@x>`);
    old.writer.prepare("INSERT INTO idempotency_keys (key, request_hash, registration_id, response, created_at, expires_at) VALUES ('public:k', 'h', NULL, ?, 0, 0)").run(JSON.stringify({ manageToken: liveManageToken, userErrors: [] }));
    await old.close();
    expect(fileBytes(path)).toContain(liveManageToken);

    // when: the new version starts on it
    const db = openSqlite(path);
    await applyMigrations(db);
    await db.close();

    // then: the rows keep what the emails need, and the file holds no token
    const after = openSqlite(path);
    const payload = JSON.parse((after.reader.prepare("SELECT payload FROM email_deliveries WHERE id = 'eml_0'").get() as { payload: string }).payload);
    expect(payload).toEqual({ padding: "x".repeat(500) });
    await after.close();
    const bytes = fileBytes(path);
    expect(bytes).not.toContain(liveManageToken);
    expect(bytes).not.toContain(liveSignInToken);
  });
});
