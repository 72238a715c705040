import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { uclaFacultyCenter } from "../../src/demo/mbt-course.js";
import { CREATE_EVENT, CREATE_VENUE, courseInput, PUBLISH_EVENT, type TestCourse } from "./factories.js";
import { spawnServer, type ServerProcess } from "./process.js";
import type { GqlResult } from "./server.js";

/*
 * Several real processes (API servers, the separate worker) on one SQLite file, as a
 * deployment without PostgreSQL runs them. The test talks to each over HTTP and reads
 * the file itself, read-only, to check what was committed.
 */

export interface ApiClient {
  baseUrl: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResult<T>>;
  admin<T = any>(query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>>;
}

export interface SharedDatabase {
  dir: string;
  /** DATABASE_URL for every process. */
  databaseUrl: string;
  adminKey: string;
  /** Starts an API server process on the shared file (no worker of its own, no rate limits). */
  spawnApi(env?: Record<string, string>): Promise<ServerProcess & { client: ApiClient }>;
  /** A read-only connection of the test's own. */
  read(): Database.Database;
  close(): Promise<void>;
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

export function startSharedDatabase(): SharedDatabase {
  const dir = mkdtempSync(join(tmpdir(), "events-shared-"));
  const databaseUrl = `file:${join(dir, "events.db")}`;
  const adminKey = `ak_${randomBytes(24).toString("hex")}`;
  const processes: ServerProcess[] = [];
  const readers: Database.Database[] = [];
  return {
    dir,
    databaseUrl,
    adminKey,
    async spawnApi(env = {}) {
      const server = await spawnServer({ DATABASE_URL: databaseUrl, ADMIN_API_KEY: adminKey, SEED_DEMO: "false", WORKER: "false", RATE_LIMITS: "off", OVERLOAD_SHEDDING: "off", MAIL_DIR: join(dir, "mail"), ...env });
      processes.push(server);
      return Object.assign(server, { client: apiClient(server.baseUrl, adminKey) });
    },
    read() {
      const db = new Database(join(dir, "events.db"), { readonly: true });
      db.pragma("busy_timeout = 5000");
      readers.push(db);
      return db;
    },
    async close() {
      for (const db of readers) db.close();
      await Promise.all(processes.map((server) => server.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
