import type { Db } from "./database.js";
import { openPostgres } from "./postgres.js";
import { openSqlite, type OpenDatabaseOptions } from "./sqlite.js";

export type { Db, Tx } from "./database.js";
export type { OpenDatabaseOptions } from "./sqlite.js";

/** Where the data lives, from DATABASE_URL (config.ts). */
export type DatabaseLocation = { dialect: "sqlite"; path: string } | { dialect: "postgres"; url: string };

/** Opens the configured database: a SQLite file, or a pool on PostgreSQL. */
export function openDatabase(location: DatabaseLocation, options: OpenDatabaseOptions = {}): Db {
  return location.dialect === "postgres" ? openPostgres(location.url, options) : openSqlite(location.path, options);
}
