import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { Db } from "./client.js";

export const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

/** Migrations 0000–0001 let the outbox and idempotency records keep live tokens in clear; 0002 forgets them. */
const MIGRATIONS_THAT_KEPT_CLEAR_TOKENS = 2;

/** Applies the committed drizzle-kit migrations that this database has not seen yet. */
export function applyMigrations(db: Db): void {
  const appliedBefore = appliedMigrationCount(db);
  try {
    migrate(db, { migrationsFolder });
  } catch (error) {
    // Two processes starting together on a new file both find it unmigrated, and the
    // second one's CREATE TABLE meets the tables the first has just committed. Its own
    // transaction rolled back; when the journal shows that another process migrated
    // meanwhile, migrating again finds it up to date. Any other failure stands.
    if (appliedMigrationCount(db) === appliedBefore) throw error;
    migrate(db, { migrationsFolder });
  }
  // SQLite leaves the bytes of overwritten rows in free pages and in the WAL until they are
  // reused, so after 0002 the old tokens could still be read from a copy of the file.
  // Rewriting it once, when an older database takes 0002, leaves no trace of them.
  if (appliedBefore > 0 && appliedBefore <= MIGRATIONS_THAT_KEPT_CLEAR_TOKENS) {
    try {
      db.$client.exec("VACUUM");
      db.$client.pragma("wal_checkpoint(TRUNCATE)");
    } catch (error) {
      // Two processes upgrading at once: the other one holds the database and rewrites it.
      if ((error as { code?: string }).code !== "SQLITE_BUSY") throw error;
    }
  }
}

function appliedMigrationCount(db: Db): number {
  const journal = db.$client.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  if (!journal) return 0;
  return (db.$client.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n;
}
