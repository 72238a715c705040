import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
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
export function openDeps(config: Config, options: AppOptions = {}): Deps {
  checkDatabaseLocation(config.databasePath);
  let db: Db | undefined;
  try {
    db = openDatabase(config.databasePath, options.database);
    applyMigrations(db);
  } catch (error) {
    if (db) closeDb(db);
    throw databaseOpenError(config.databasePath, error);
  }
  return { db, clock: options.clock ?? systemClock, config };
}

/**
 * Outside production, a local admin key is made on first start and kept next to the
 * database (readable by this user only), so `npm start` can print it every time.
 */
function localAdminKey(deps: Deps): string | null {
  if (deps.config.production || deps.config.databasePath === ":memory:") return null;
  const file = join(dirname(deps.config.databasePath), "local-admin-key");
  if (existsSync(file)) {
    const key = readFileSync(file, "utf8").trim();
    const row = deps.db.select({ revokedAt: apiKeys.revokedAt }).from(apiKeys).where(eq(apiKeys.hash, hashToken(key))).get();
    if (row && !row.revokedAt) return key;
  }
  const { key } = createApiKey(deps.db, deps.clock, { kind: "ADMIN", name: "local admin (npm start)" });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
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

export function prepareDatabase(deps: Deps): { seeded: boolean } {
  if (deps.config.adminApiKey) ensureAdminKey(deps.db, deps.clock, deps.config.adminApiKey, "ADMIN_API_KEY");
  return deps.config.seedDemo ? seedDemo(deps) : { seeded: false };
}

/** Starts the API server (and, with WORKER=true, the worker) on the configured address. */
export async function startApp(config: Config, options: AppOptions = {}): Promise<App> {
  if (!options.mailTransport && !config.smtpUrl) checkMailDir(config.mailDir);
  const deps = openDeps(config, options);
  const { seeded } = prepareDatabase(deps);
  const adminKey = localAdminKey(deps);
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
      closeDb(deps.db);
    },
  };
}

export function closeDb(db: Db): void {
  if (db.$client.open) db.$client.close();
}
