import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { Db } from "./client.js";

export const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

/** Applies the committed drizzle-kit migrations that this database has not seen yet. */
export function applyMigrations(db: Db): void {
  migrate(db, { migrationsFolder });
}
