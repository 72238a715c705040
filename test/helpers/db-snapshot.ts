import type { TestServer } from "./server.js";

/** Bookkeeping that a request may touch without changing any data: a key's last use. */
const ignoredTables = new Set(["api_keys", "__drizzle_migrations"]);

/**
 * Every row of every data table, read straight from SQLite (not counted in
 * server.statements). Comparing two snapshots proves a failed call changed nothing.
 */
export function snapshotDatabase(server: TestServer): Record<string, unknown[]> {
  const sqlite = server.app.deps.db.$client;
  const tables = sqlite
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { name: string }[];
  const snapshot: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    if (ignoredTables.has(name)) continue;
    snapshot[name] = sqlite.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all();
  }
  return snapshot;
}
