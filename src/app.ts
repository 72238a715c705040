import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { eq } from "drizzle-orm";
import { hashToken } from "./auth/tokens.js";
import { systemClock, type Clock } from "./common/clock.js";
import type { Config } from "./config.js";
import { openDatabase, type Db, type OpenDatabaseOptions } from "./db/client.js";
import { applyMigrations } from "./db/migrate.js";
import { isLoopbackHost } from "./common/loopback.js";
import { apiKeys } from "./db/tables.js";
import type { Deps } from "./deps.js";
import { seedDemo } from "./demo/seed-demo.js";
import { createApiKey, ensureAdminKey } from "./modules/api-keys/api-keys.service.js";
import { createServer, type ServerHandle } from "./server.js";
import { createWorker, type Worker } from "./jobs/worker.js";
import type { DeliveryOptions } from "./mail/deliver.js";
import { createMailTransport, type MailTransport } from "./mail/transport.js";
import { checkDatabaseLocation, checkMailDir, databaseOpenError } from "./startup-checks.js";

export interface AppOptions {
  clock?: Clock;
  database?: OpenDatabaseOptions;
  /** Replaces the transport SMTP_URL/MAIL_DIR would give (tests that simulate a crash mid-send). */
  mailTransport?: MailTransport;
  /** Claim sizes, leases and retry policy of the worker; tests shorten them. */
  delivery?: Partial<DeliveryOptions>;
}

/** Opens and migrates the database: what every command (serve, worker, keys) starts with. */
export async function openDeps(config: Config, options: AppOptions = {}): Promise<Deps> {
  if (config.database.dialect === "sqlite") checkDatabaseLocation(config.database.path);
  let db: Db | undefined;
  try {
    db = openDatabase(config.database, {
      poolSize: config.databasePoolSize,
      lockTimeoutMs: config.databaseLockTimeoutMs,
      transactionGuard: config.transactionGuard,
      ...options.database,
    });
    await applyMigrations(db);
  } catch (error) {
    if (db) await db.close().catch(() => undefined);
    throw databaseOpenError(config.database, error);
  }
  return { db, clock: options.clock ?? systemClock, config };
}

/**
 * Outside production, a local admin key is made on first start and kept next to the
 * database (readable by this user only), so `npm start` can print it every time.
 */
async function localAdminKey(deps: Deps): Promise<string | null> {
  const folder = localAdminKeyFolder(deps.config);
  if (folder === null) return null;
  const file = join(folder, "local-admin-key");
  if (existsSync(file)) {
    const key = readFileSync(file, "utf8").trim();
    const row = await deps.db.select({ revokedAt: apiKeys.revokedAt }).from(apiKeys).where(eq(apiKeys.hash, hashToken(key))).get();
    if (row && !row.revokedAt) return key;
  }
  mkdirSync(folder, { recursive: true });
  const { key } = await createApiKey(deps.db, deps.clock, { kind: "ADMIN", name: "local admin (npm start)" });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/**
 * Where the local admin key is kept: next to the SQLite file, or (PostgreSQL) in ./data, as
 * the SQLite default would. None in production, nor for an in-memory database.
 */
function localAdminKeyFolder(config: Config): string | null {
  if (config.production) return null;
  if (config.database.dialect === "postgres") return resolve("data");
  return config.database.path === ":memory:" ? null : dirname(config.database.path);
}

export interface App extends ServerHandle {
  deps: Deps;
  url: string;
  localAdminKey: string | null;
  /** Always built; its loop runs only with WORKER=true. Tests call worker.runOnce(). */
  worker: Worker;
  mailTransport: MailTransport;
  close(): Promise<void>;
}

export async function prepareDatabase(deps: Deps): Promise<{ seeded: boolean }> {
  if (deps.config.adminApiKey) await ensureAdminKey(deps.db, deps.clock, deps.config.adminApiKey, "ADMIN_API_KEY");
  return deps.config.seedDemo ? seedDemo(deps) : { seeded: false };
}

/** Starts the API server (and, with WORKER=true, the worker) on the configured address. */
export async function startApp(config: Config, options: AppOptions = {}): Promise<App> {
  if (!options.mailTransport && !config.smtpUrl) checkMailDir(config.mailDir);
  const deps = await openDeps(config, options);
  const { seeded } = await prepareDatabase(deps);
  const adminKey = await localAdminKey(deps);
  // The IDE page carries the key only while nobody else can load it: on a loopback address.
  const handle = await createServer(deps, { localAdminKey: isLoopbackHost(deps.config.host) ? adminKey : null });
  if (seeded) handle.app.log.info("loaded the demo course into the empty database");
  const mailTransport = options.mailTransport ?? createMailTransport(config, handle.app.log);
  const worker = createWorker(deps, { transport: mailTransport, log: handle.app.log.child({ component: "worker" }), delivery: options.delivery });
  await handle.app.listen({ port: config.port, host: config.host, backlog: config.listenBacklog });
  if (config.worker) worker.start();
  const address = handle.app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  let closed = false;
  return {
    ...handle,
    deps,
    url,
    localAdminKey: adminKey,
    worker,
    mailTransport,
    async close() {
      if (closed) return;
      closed = true;
      // In-flight requests and the worker's current step both finish before the database closes.
      await Promise.all([handle.app.close(), worker.stop()]);
      mailTransport.close();
      await deps.db.close();
    },
  };
}
