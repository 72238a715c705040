import { getTableName, is, Table } from "drizzle-orm";
import * as tables from "../../src/db/tables.js";
import { events } from "../../src/db/tables.js";
import type { TestServer } from "./server.js";

/** Bookkeeping that a request may touch without changing any data: a key's last use. */
const bookkeeping = ["api_keys"];

/**
 * Every row of every data table, on either dialect, each table's rows in a fixed order
 * (rows compared as JSON: PostgreSQL has no rowid). The reads go through the app's
 * database, so they show in server.statements: take snapshots outside a counted span.
 * Comparing two snapshots proves a failed call changed nothing. `ignore` names tables left
 * out (by default the bookkeeping ones).
 */
export async function snapshotDatabase(server: TestServer, options: { ignore?: string[] } = {}): Promise<Record<string, unknown[]>> {
  const ignoredTables = new Set(options.ignore ?? bookkeeping);
  const db = server.app.deps.db;
  const snapshot: Record<string, unknown[]> = {};
  // The live bindings of tables.js: the dialect's tables, read at call time.
  const all = Object.values(tables).filter((value): value is typeof events => is(value, Table));
  for (const table of all.sort((a, b) => getTableName(a).localeCompare(getTableName(b)))) {
    const name = getTableName(table);
    if (ignoredTables.has(name)) continue;
    const rows: unknown[] = await db.select().from(table);
    snapshot[name] = rows.map((row) => [JSON.stringify(row), row] as const).sort(([a], [b]) => a.localeCompare(b)).map(([, row]) => row);
  }
  return snapshot;
}
