import { fileURLToPath } from "node:url";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { migrate as migrateSqlite } from "drizzle-orm/better-sqlite3/migrator";
import type Sqlite from "better-sqlite3";
import type { Db } from "./database.js";
import type { PostgresDb } from "./postgres.js";
import type { SqliteDb } from "./sqlite.js";

export const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));
export const pgMigrationsFolder = fileURLToPath(new URL("../../drizzle-pg", import.meta.url));

/** Migrations 0000–0001 let the outbox and idempotency records keep live tokens in clear; 0002 forgets them. */
const MIGRATIONS_THAT_KEPT_CLEAR_TOKENS = 2;

/**
 * The advisory lock the PostgreSQL migrations run under (any 64-bit number unique to this
 * application): processes of one deploy starting together migrate one after the other,
 * and the later ones find nothing left to do.
 */
export const PG_MIGRATION_LOCK = 7_412_905_331_026;

/** Applies the committed drizzle-kit migrations (drizzle/ or drizzle-pg/) that this database has not seen yet. */
export async function applyMigrations(db: Db): Promise<void> {
  if (db.dialect === "postgres") await applyPgMigrations(db as PostgresDb);
  else applySqliteMigrations((db as SqliteDb).writer);
}

async function applyPgMigrations(db: PostgresDb): Promise<void> {
  // One connection for the lock and the migrations: an advisory lock belongs to a session.
  const client = await db.pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PG_MIGRATION_LOCK]);
    try {
      await migratePg(drizzlePg({ client }), { migrationsFolder: pgMigrationsFolder });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [PG_MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

function applySqliteMigrations(sqlite: Sqlite.Database): void {
  const db = drizzleSqlite({ client: sqlite });
  const appliedBefore = appliedSqliteMigrationCount(sqlite);
  try {
    migrateSqlite(db, { migrationsFolder });
  } catch (error) {
    // Two processes starting together on a new file both find it unmigrated, and the
    // second one's CREATE TABLE meets the tables the first has just committed. Its own
    // transaction rolled back; when the journal shows that another process migrated
    // meanwhile, migrating again finds it up to date. Any other failure stands.
    if (appliedSqliteMigrationCount(sqlite) === appliedBefore) throw error;
    migrateSqlite(db, { migrationsFolder });
  }
  // SQLite leaves the bytes of overwritten rows in free pages and in the WAL until they are
  // reused, so after 0002 the old tokens could still be read from a copy of the file.
  // Rewriting it once, when an older database takes 0002, leaves no trace of them.
  if (appliedBefore > 0 && appliedBefore <= MIGRATIONS_THAT_KEPT_CLEAR_TOKENS) {
    try {
      sqlite.exec("VACUUM");
      sqlite.pragma("wal_checkpoint(TRUNCATE)");
    } catch (error) {
      // Two processes upgrading at once: the other one holds the database and rewrites it.
      if ((error as { code?: string }).code !== "SQLITE_BUSY") throw error;
    }
  }
}

function appliedSqliteMigrationCount(sqlite: Sqlite.Database): number {
  const journal = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  if (!journal) return 0;
  return (sqlite.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n;
}
