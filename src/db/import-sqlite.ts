import { statSync } from "node:fs";
import { resolve } from "node:path";
import Sqlite from "better-sqlite3";
import { getTableConfig as sqliteTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { getTableConfig as pgTableConfig, PgTable } from "drizzle-orm/pg-core";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { is } from "drizzle-orm";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { migrationsFolder } from "./migrate.js";
import type { PostgresDb } from "./postgres.js";
import * as sqliteSchema from "./schema.js";
import * as pgSchema from "./schema.pg.js";

/*
 * Moves an existing SQLite deployment to PostgreSQL: every row of every table, read through
 * schema.ts (so SQLite's storage decodes to the row types) and written through its twin in
 * schema.pg.ts, in one PostgreSQL transaction: the copy lands whole or not at all.
 *
 * registration_counts is not copied: PostgreSQL's triggers (drizzle-pg/0001) build it from
 * the registrations as they are inserted, and the copy checks that it agrees with SQLite's.
 */

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const CHUNK = 200;

/** Kept by triggers on both sides: compared, not copied. */
const DERIVED = new Set(["registration_counts"]);

export interface ImportSummary {
  /** Rows copied, by table, in the order they were copied. */
  tables: { table: string; rows: number }[];
}

export class ImportRefused extends Error {}

/**
 * Copies the SQLite file at `path` (migrated to the same version as this build, not being
 * written meanwhile: stop the API processes first) into the PostgreSQL database `target`,
 * which must be migrated and hold no events, organisations or API keys yet.
 */
export async function importSqlite(path: string, target: PostgresDb): Promise<ImportSummary> {
  const source = openSource(path);
  try {
    const from = drizzleSqlite({ client: source });
    checkSourceVersion(source);
    const tables = copyOrder();
    const client = await target.pool.connect();
    try {
      const to = drizzlePg({ client });
      await client.query("BEGIN");
      try {
        await refuseNonEmpty(client);
        const summary: ImportSummary = { tables: [] };
        for (const { name, sqliteTable, pgTable } of tables) {
          if (DERIVED.has(name)) continue;
          const rows = from.select().from(sqliteTable).all();
          for (let start = 0; start < rows.length; start += CHUNK) {
            await to.insert(pgTable).values(rows.slice(start, start + CHUNK) as never[]);
          }
          summary.tables.push({ table: name, rows: rows.length });
        }
        await resetIdentities(client, tables.map((table) => table.pgTable));
        await compareCounts(client, source);
        await client.query("COMMIT");
        return summary;
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    } finally {
      client.release();
    }
  } finally {
    source.close();
  }
}

interface TablePair {
  name: string;
  sqliteTable: SQLiteTable;
  pgTable: PgTable;
}

/** Every table, parents before the tables whose foreign keys point at them. */
function copyOrder(): TablePair[] {
  const pgTables = new Map<string, PgTable>();
  for (const value of Object.values(pgSchema)) if (is(value, PgTable)) pgTables.set(pgTableConfig(value).name, value);
  const pairs = new Map<string, TablePair & { parents: string[] }>();
  for (const value of Object.values(sqliteSchema)) {
    if (!is(value, SQLiteTable)) continue;
    const config = sqliteTableConfig(value);
    const pgTable = pgTables.get(config.name);
    if (!pgTable) throw new Error(`schema.pg.ts has no table ${config.name}`);
    const parents = config.foreignKeys.map((key) => sqliteTableConfig(key.reference().foreignTable).name).filter((parent) => parent !== config.name);
    pairs.set(config.name, { name: config.name, sqliteTable: value, pgTable, parents });
  }
  const ordered: TablePair[] = [];
  const placed = new Set<string>();
  const place = (name: string) => {
    if (placed.has(name)) return;
    placed.add(name);
    const pair = pairs.get(name)!;
    for (const parent of pair.parents) place(parent);
    ordered.push(pair);
  };
  for (const name of [...pairs.keys()].sort()) place(name);
  return ordered;
}

/** The file at `path`, read-only, or a refusal that names it (better-sqlite3's own errors do not). */
function openSource(path: string): Sqlite.Database {
  const file = resolve(path);
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new ImportRefused(`there is no file ${file}.`);
  }
  if (!isFile) throw new ImportRefused(`${file} is not a file; give the SQLite database file (e.g. ./data/events.db).`);
  let source: Sqlite.Database | undefined;
  try {
    source = new Sqlite(file, { readonly: true, fileMustExist: true });
    // Opening reads nothing; the first statement reads the header.
    source.prepare("SELECT count(*) FROM sqlite_master").get();
    return source;
  } catch (error) {
    source?.close();
    throw new ImportRefused(`${file} is not a readable SQLite database (${(error as Error).message}).`);
  }
}

/** The file must have exactly this build's SQLite migrations: the schemas compare column for column. */
function checkSourceVersion(source: Sqlite.Database): void {
  const journal = source.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  if (!journal) throw new ImportRefused(`${source.name} is not a database of this application (no migrations journal).`);
  // drizzle applies the migrations newer than the last one recorded: compare the last ones.
  const migrations = readMigrationFiles({ migrationsFolder });
  const expected = migrations[migrations.length - 1]!.folderMillis;
  const last = source.prepare("SELECT max(created_at) AS at FROM __drizzle_migrations").get() as { at: number | null };
  const applied = Number(last.at ?? 0);
  if (applied < expected) {
    throw new ImportRefused(`${source.name} was last migrated by an older version of this application: start this version once on it (it migrates the file), stop it, and import again.`);
  }
  if (applied > expected) throw new ImportRefused(`${source.name} was migrated by a newer version of this application than this one; import with that version.`);
}

async function refuseNonEmpty(client: { query(text: string): Promise<{ rows: { n: string }[] }> }): Promise<void> {
  const { rows } = await client.query("SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM organisations) + (SELECT count(*) FROM api_keys) + (SELECT count(*) FROM venues) AS n");
  if (Number(rows[0]?.n) > 0) throw new ImportRefused("the PostgreSQL database already has data (events, venues, organisations or API keys); import into a new, empty database.");
}

/** Copied ids were given explicitly: the identity sequences continue after the largest. */
async function resetIdentities(client: { query(text: string): Promise<unknown> }, tables: PgTable[]): Promise<void> {
  for (const table of tables) {
    const config = pgTableConfig(table);
    for (const column of config.columns) {
      if (!(column as { generatedIdentity?: unknown }).generatedIdentity) continue;
      const name = `"${config.name}"`;
      await client.query(`SELECT setval(pg_get_serial_sequence('${name}', '${column.name}'), GREATEST((SELECT max("${column.name}") FROM ${name}), 1), (SELECT max("${column.name}") FROM ${name}) IS NOT NULL)`);
    }
  }
}

/** The seat counts PostgreSQL's triggers built must equal the ones SQLite kept. */
async function compareCounts(client: { query(text: string): Promise<{ rows: { event_id: string; status: string; count: number }[] }> }, source: Sqlite.Database): Promise<void> {
  const key = (row: { event_id: string; status: string; count: number }) => `${row.event_id} ${row.status} ${row.count}`;
  const kept = (source.prepare("SELECT event_id, status, count FROM registration_counts WHERE count <> 0 ORDER BY 1, 2").all() as { event_id: string; status: string; count: number }[]).map(key);
  const built = (await client.query("SELECT event_id, status, count FROM registration_counts WHERE count <> 0 ORDER BY 1, 2")).rows.map(key);
  if (kept.join("\n") !== built.join("\n")) throw new Error("the copied registrations give other seat counts than the SQLite file kept; nothing was imported.");
}

