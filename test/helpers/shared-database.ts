import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { uclaFacultyCenter } from "../../src/demo/mbt-course.js";
import { CREATE_EVENT, CREATE_VENUE, courseInput, PUBLISH_EVENT, type TestCourse } from "./factories.js";
import type { ScratchDatabase } from "./postgres.js";
import { spawnServer, type ServerProcess } from "./process.js";
import type { GqlResult } from "./server.js";
import { freshPostgresDatabase, testDialect } from "./test-database.js";

/*
 * Several real processes (API servers, the separate worker) on one database, as a
 * deployment runs them: on the suite's dialect (startSharedDialectDatabase: one SQLite
 * file, or on the postgres project a fresh PostgreSQL database, dropped at close), or on a
 * SQLite file whatever the dialect (startSharedDatabase). The test talks to each process
 * over HTTP and queries the database itself, read-only, to check what was committed.
 */

export interface ApiClient {
  baseUrl: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResult<T>>;
  admin<T = any>(query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>>;
}

export interface SharedDialectDatabase {
  dialect: "sqlite" | "postgres";
  /** A temporary folder of the test's (mail folders), removed at close. */
  dir: string;
  /** DATABASE_URL for every process. */
  databaseUrl: string;
  adminKey: string;
  /** Starts an API server process on the shared database (no worker of its own, no rate limits). */
  spawnApi(env?: Record<string, string>): Promise<ServerProcess & { client: ApiClient }>;
  /**
   * The rows of one SELECT, on a read-only connection of the test's own (SQLite) or a pool
   * of its own (PostgreSQL). Write `?` placeholders (they become $1, $2… on PostgreSQL) and
   * double-quote camelCase column aliases. The rows look alike on both: timestamps are epoch
   * milliseconds (as SQLite stores them) and bigints such as count(*) are numbers; booleans
   * stay as each stores them (0/1 on SQLite, true/false on PostgreSQL).
   */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Processes on one SQLite file, which the test can also read synchronously. */
export interface SharedDatabase extends SharedDialectDatabase {
  dialect: "sqlite";
  /** A read-only connection of the test's own. */
  read(): Database.Database;
}

export function apiClient(baseUrl: string, adminKey: string): ApiClient {
  async function gql<T>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResult<T>> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${baseUrl}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    const text = await response.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = { data: null, errors: [{ message: text }] };
    }
    return { status: response.status, data: body.data, errors: body.errors, headers: response.headers };
  }
  return { baseUrl, gql, admin: (query, variables) => gql(query, variables, adminKey) };
}

/** Processes on one database of the suite's dialect: a SQLite file, or on the postgres project a fresh PostgreSQL database. */
export async function startSharedDialectDatabase(dialect: "sqlite" | "postgres" = testDialect): Promise<SharedDialectDatabase> {
  return dialect === "postgres" ? startSharedPostgres(await freshPostgresDatabase()) : startSharedDatabase();
}

/** Processes on one SQLite file, whichever dialect the suite runs on. */
export function startSharedDatabase(): SharedDatabase {
  const dir = mkdtempSync(join(tmpdir(), "events-shared-"));
  const file = join(dir, "events.db");
  const common = sharedProcesses(dir, `file:${file}`);
  const readers: Database.Database[] = [];
  const read = () => {
    const db = new Database(file, { readonly: true });
    db.pragma("busy_timeout = 5000");
    readers.push(db);
    return db;
  };
  let reader: Database.Database | undefined;
  return {
    ...common,
    dialect: "sqlite",
    read,
    async query<T>(sql: string, params: unknown[] = []) {
      reader ??= read();
      return reader.prepare(sql).all(...params) as T[];
    },
    async close() {
      for (const db of readers) db.close();
      await common.stopProcesses();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function startSharedPostgres(database: ScratchDatabase): SharedDialectDatabase {
  const dir = mkdtempSync(join(tmpdir(), "events-shared-"));
  const common = sharedProcesses(dir, database.url);
  const pool = new pg.Pool({ connectionString: database.url, max: 2, types: { getTypeParser: sameAsSqlite } as pg.CustomTypesConfig });
  return {
    ...common,
    dialect: "postgres",
    async query<T>(sql: string, params: unknown[] = []) {
      return (await pool.query(numberedPlaceholders(sql), params)).rows as T[];
    },
    async close() {
      await common.stopProcesses();
      await pool.end();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function sharedProcesses(dir: string, databaseUrl: string) {
  const adminKey = `ak_${randomBytes(24).toString("hex")}`;
  const processes: ServerProcess[] = [];
  return {
    dir,
    databaseUrl,
    adminKey,
    async spawnApi(env: Record<string, string> = {}) {
      const server = await spawnServer({ DATABASE_URL: databaseUrl, ADMIN_API_KEY: adminKey, SEED_DEMO: "false", WORKER: "false", RATE_LIMITS: "off", OVERLOAD_SHEDDING: "off", MAIL_DIR: join(dir, "mail"), ...env });
      processes.push(server);
      return Object.assign(server, { client: apiClient(server.baseUrl, adminKey) });
    },
    stopProcesses: () => Promise.all(processes.map((server) => server.stop())).then(() => {}),
  };
}

const INT8 = 20;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;

/** PostgreSQL's values as SQLite gives them: bigints (count(*)) as numbers, timestamps as epoch milliseconds. */
function sameAsSqlite(oid: number, format?: string): (value: string) => unknown {
  if (oid === INT8) return (value) => Number(value);
  if (oid === TIMESTAMP || oid === TIMESTAMPTZ) {
    const parseDate = pg.types.getTypeParser(oid) as (value: string) => Date;
    return (value) => parseDate(value).getTime();
  }
  return (pg.types.getTypeParser as (oid: number, format?: string) => (value: string) => unknown)(oid, format);
}

/** `?` placeholders (outside quoted literals and names) as PostgreSQL's $1, $2… */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\?/g, (token) => (token === "?" ? `$${++n}` : token));
}

/** Sessions a year ahead: the processes run on the real clock, and registration closes at the start. */
export function upcomingSessions() {
  const year = new Date().getUTCFullYear() + 1;
  return [`${year}-10-04`, `${year}-10-05`, `${year}-10-06`].map((day, index) => ({ title: `Day ${index + 1}`, kind: "LIVE", localStart: `${day}T08:30`, localEnd: `${day}T16:30` }));
}

/** A venue and a published upcoming course, made through one process's admin API; returns the course and the EventInput it was made from. */
export async function createUpcomingCourse(api: ApiClient, overrides: Record<string, unknown> = {}): Promise<{ course: TestCourse; input: Record<string, unknown> }> {
  const venue = await api.admin(CREATE_VENUE, { input: uclaFacultyCenter });
  const venueId = venue.data.createVenue.venue.id;
  const input = courseInput({ venueId, sessions: upcomingSessions(), ...overrides });
  const created = await api.admin(CREATE_EVENT, { input });
  const event = created.data?.createEvent?.event;
  if (!event) throw new Error(`createEvent failed: ${JSON.stringify(created.errors ?? created.data?.createEvent?.userErrors)}`);
  const published = await api.admin(PUBLISH_EVENT, { id: event.id });
  if (published.errors || published.data.publishEvent.userErrors.length) throw new Error(`publishEvent failed: ${JSON.stringify(published.errors ?? published.data.publishEvent.userErrors)}`);
  return { course: { id: event.id, slug: event.slug, criteria: event.eligibilityCriteria, venueId }, input };
}
