import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApp, type App } from "../../src/app.js";
import { ManualClock } from "../../src/common/clock.js";
import { loadConfig } from "../../src/config.js";
import { createApiKey } from "../../src/modules/api-keys/api-keys.service.js";
import { freshPostgresDatabase, onPostgres } from "./test-database.js";

export interface TestServer {
  app: App;
  url: string;
  clock: ManualClock;
  adminKey: string;
  /** Every SQL statement the app ran, for N+1 checks. */
  statements: string[];
  /** Every SQL text SQLite compiled (a statement not found among the cached ones). */
  compiled: string[];
  dir: string;
  /** POSTs a GraphQL operation; returns the parsed body and status. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, options?: { token?: string | null; headers?: Record<string, string> }): Promise<GqlResult<T>>;
  /** Like gql, as the admin. */
  admin<T = any>(query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

export interface GqlResult<T> {
  status: number;
  data: T;
  errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[];
  headers: Headers;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  /** The clock starts here; tests move it. */
  now?: string;
  seedDemo?: boolean;
}

/**
 * A real server on a random port with a fresh database: a new SQLite file in a temporary
 * folder, or on the postgres project (test-database.ts) a new PostgreSQL database.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "events-test-"));
  const postgres = onPostgres ? await freshPostgresDatabase() : null;
  const clock = new ManualClock(new Date(options.now ?? "2023-06-01T12:00:00Z"));
  const statements: string[] = [];
  const compiled: string[] = [];
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_URL: postgres ? postgres.url : `file:${join(dir, "events.db")}`,
    MAIL_DIR: join(dir, "mail"),
    SEED_DEMO: options.seedDemo ? "true" : "false",
    WORKER: "false",
    // The test runner shares this event loop; a slow test step must not get reads shed (test/runtime/load-shedding.test.ts turns it on).
    OVERLOAD_SHEDDING: "off",
    ...options.env,
  });
  const app = await startApp(config, { clock, database: { onStatement: (sql) => statements.push(sql), onCompile: (sql) => compiled.push(sql) } });
  const { key: adminKey } = await createApiKey(app.deps.db, clock, { kind: "ADMIN", name: "test admin" });
  const url = `${app.url}/graphql`;

  async function gql<T>(query: string, variables?: Record<string, unknown>, opts: { token?: string | null; headers?: Record<string, string> } = {}): Promise<GqlResult<T>> {
    const headers: Record<string, string> = { "content-type": "application/json", ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    const text = await response.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = { data: null, errors: [{ message: text }] };
    }
    return { status: response.status, data: body.data, errors: body.errors, headers: response.headers };
  }

  return {
    app,
    url,
    clock,
    adminKey,
    statements,
    compiled,
    dir,
    gql,
    admin: (query, variables) => gql(query, variables, { token: adminKey }),
    async close() {
      await app.close();
      await postgres?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
