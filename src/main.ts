import "reflect-metadata";
import { parseArgs } from "node:util";
import { eq } from "drizzle-orm";
import { openDeps, prepareDatabase, startApp } from "./app.js";
import type { Db } from "./db/client.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { organisations } from "./db/tables.js";
import { createApiKey, listApiKeys, notAnOriginMessage, parseOrigin, revokeApiKey } from "./modules/api-keys/api-keys.service.js";
import { DomainError } from "./common/errors.js";
import { emitSchema, schemaFile } from "./schema.js";
import { createWorker } from "./jobs/worker.js";
import { createMailTransport } from "./mail/transport.js";
import { pino } from "pino";
import { checkMailDir, StartupError } from "./startup-checks.js";
import { backupSqlite } from "./db/backup.js";
import { importSqlite, ImportRefused } from "./db/import-sqlite.js";
import type { PostgresDb } from "./db/postgres.js";
import type { SqliteDb } from "./db/sqlite.js";

const usage = `usage: node dist/main.js <command>   (npm run build first; in development: tsx src/main.ts <command>)
  serve                     start the API server (the default)
  worker                    run only the outbox/scheduler worker (use WORKER=false on the servers)
  migrate                   apply database migrations
  seed                      migrate, then load the demo course into an empty database
  backup FILE               SQLite: write a consistent copy of the database to FILE (safe while serving)
  import-sqlite FILE        copy the SQLite database FILE into the (new, empty) PostgreSQL of DATABASE_URL
  emit-schema               write schema/schema.graphql
  keys create --admin [--name N]
  keys create --publishable --org SLUG --origin https://site.example [--origin …] [--name N]
  keys create --secret --org SLUG [--name N]
  keys list
  keys revoke KEY_ID`;

/** What a production operator must still do, printed under the banner at every start until done. */
async function productionWarnings(config: Config, db: Db): Promise<string[]> {
  if (!config.production) return [];
  const warnings: string[] = [];
  const hasAdminKey = (await listApiKeys(db)).some((row) => row.kind === "ADMIN" && !row.revokedAt);
  if (!hasAdminKey) {
    warnings.push("no admin key yet, so nobody can set up courses. Create the first one with `npm run keys -- create --admin` (shown once), or start with ADMIN_API_KEY set.");
  }
  if (!config.smtpUrl) {
    warnings.push(`SMTP_URL is not set: emails are only written as .eml files in MAIL_DIR (${config.mailDir}); nobody receives them. Set SMTP_URL=smtp://user:pass@host:587 to send them.`);
  }
  return warnings;
}

/**
 * From the first moment, SIGTERM and SIGINT are a graceful stop, never the default kill:
 * one that comes while the process is still starting (a supervisor that stops it at once)
 * is kept until the command says how it stops. `started(stop)` returns true when a signal
 * came meanwhile: the command then does not go on, and `stop` runs (once, whatever the
 * number of signals).
 */
function gracefulSignals(): { started(stop: (signal: string) => Promise<void>): boolean } {
  let requested: string | null = null;
  let stop: ((signal: string) => Promise<void>) | null = null;
  let stopping = false;
  const onSignal = (signal: string) => {
    if (!stop) return void (requested ??= signal);
    if (stopping) return;
    stopping = true;
    void stop(signal);
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  return {
    started(how) {
      stop = how;
      if (requested) onSignal(requested);
      return stopping;
    },
  };
}

async function serve(config: Config): Promise<void> {
  // A signal while the server starts (it may already be listening) stops it as soon as it is up.
  const signals = gracefulSignals();
  const app = await startApp(config);
  const log = app.app.log;
  const stopNow = signals.started(async (signal) => {
    log.info({ signal }, "shutting down: finishing in-flight requests");
    const timer = setTimeout(() => {
      log.error("shutdown took over 10 s; exiting");
      process.exit(1);
    }, 10_000);
    timer.unref();
    await app.close();
    process.exit(0);
  });
  if (stopNow) return;
  const banner = [`\n  Event registration API ready\n  IDE (GraphQL Playground):  ${app.url}/graphql`];
  if (app.localAdminKey) banner.push(`  Local admin key:           ${app.localAdminKey}\n  In the IDE, HTTP HEADERS:  { "Authorization": "Bearer ${app.localAdminKey}" }`);
  banner.push(`  Mail:                      ${config.smtpUrl ? "SMTP" : `.eml files in ${config.mailDir}`}\n`);
  const warnings = await productionWarnings(config, app.deps.db);
  if (warnings.length) banner.push(`${warnings.map((warning) => `  WARNING: ${warning}`).join("\n")}\n`);
  console.log(banner.join("\n")); // one write, so a reader never sees half of it
}

/**
 * The worker alone, for a deployment that keeps it out of the API processes. SIGTERM
 * lets the step in progress finish (its claims are released or recorded) before exit;
 * one that comes while it starts stops it before its loop starts.
 */
async function worker(config: Config): Promise<void> {
  const signals = gracefulSignals();
  const log = pino({ level: config.logLevel, base: { component: "worker" } });
  if (!config.smtpUrl) checkMailDir(config.mailDir);
  const deps = await openDeps(config);
  const transport = createMailTransport(config, log);
  const loop = createWorker(deps, { transport, log });
  const stopNow = signals.started(async (signal) => {
    log.info({ signal }, "worker shutting down: finishing the current step");
    const timer = setTimeout(() => {
      log.error("worker shutdown took over 90 s; exiting (unfinished claims expire and are retried)");
      process.exit(1);
    }, 90_000);
    timer.unref();
    await loop.stop();
    transport.close();
    await deps.db.close();
    process.exit(0);
  });
  if (stopNow) return;
  loop.start();
  console.log(`\n  Worker running: outbox every ${config.workerIntervalMs} ms, mail via ${transport.description}\n`);
}

/** An --origin that is not an origin stops the command with the service's own explanation. */
function refuseMoreThanAnOrigin(raw: string): void {
  if (!parseOrigin(raw)) throw new Error(notAnOriginMessage("--origin", raw));
}

async function keys(config: Config, args: string[]): Promise<void> {
  const deps = await openDeps(config);
  try {
    const [action, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        admin: { type: "boolean" },
        publishable: { type: "boolean" },
        secret: { type: "boolean" },
        org: { type: "string" },
        origin: { type: "string", multiple: true },
        name: { type: "string" },
      },
    });
    if (action === "create") {
      const kind = values.admin ? "ADMIN" : values.publishable ? "PUBLISHABLE" : values.secret ? "SECRET" : null;
      if (!kind) throw new Error("say which kind: --admin, --publishable or --secret");
      let organisationId: string | null = null;
      if (values.org) {
        organisationId = (await deps.db.select({ id: organisations.id }).from(organisations).where(eq(organisations.slug, values.org)).get())?.id ?? null;
        if (!organisationId) throw new Error(`no organisation has the slug "${values.org}"`);
      }
      for (const origin of values.origin ?? []) refuseMoreThanAnOrigin(origin);
      const { key, row } = await createApiKey(deps.db, deps.clock, { kind, name: values.name ?? `${kind.toLowerCase()} key (CLI)`, organisationId, allowedOrigins: values.origin ?? [] });
      console.log(`created ${row.kind} key ${row.id} "${row.name}"${row.allowedOrigins.length ? ` for ${row.allowedOrigins.join(", ")}` : ""}`);
      console.log(`\n  ${key}\n\nThis is the only time the key is shown; only its hash is stored.`);
    } else if (action === "list") {
      const rows = await listApiKeys(deps.db);
      if (rows.length === 0) console.log("no API keys yet; create the first admin key with `npm run keys -- create --admin`");
      for (const row of rows) {
        console.log([row.id, row.kind.padEnd(11), `${row.prefix}…`, row.revokedAt ? "REVOKED" : "active ", row.name, row.allowedOrigins.join(" ")].join("  "));
      }
    } else if (action === "revoke") {
      const id = positionals[0];
      if (!id) throw new Error("give the key's id (see `keys list`)");
      await revokeApiKey(deps.db, deps.clock, id);
      console.log(`revoked ${id}`);
    } else {
      throw new Error(usage);
    }
  } finally {
    await deps.db.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command = "serve", ...args] = argv;
  if (command === "emit-schema") {
    emitSchema();
    console.log(`wrote ${schemaFile}`);
    return;
  }
  const config = loadConfig();
  switch (command) {
    case "serve":
      return serve(config);
    case "migrate":
      await (await openDeps(config)).db.close();
      console.log("migrations applied");
      return;
    case "seed": {
      const deps = await openDeps(config);
      const { seeded } = await prepareDatabase({ ...deps, config: { ...config, seedDemo: true } });
      await deps.db.close();
      console.log(seeded ? "demo course loaded" : "the database already has events; nothing loaded");
      return;
    }
    case "backup": {
      const [file] = args;
      if (!file) throw new Error("give the file to write the copy to: backup ./backups/events-2026-12-01.db");
      if (config.database.dialect !== "sqlite") throw new Error("backup copies a SQLite database; for PostgreSQL use pg_dump (see the README's Operations section)");
      const deps = await openDeps(config);
      try {
        const written = backupSqlite(deps.db as SqliteDb, file);
        console.log(`wrote a copy of the database to ${written}`);
      } finally {
        await deps.db.close();
      }
      return;
    }
    case "import-sqlite": {
      const [file] = args;
      if (!file) throw new Error("give the SQLite file to copy: DATABASE_URL=postgres://… import-sqlite ./data/events.db");
      if (config.database.dialect !== "postgres") throw new Error("import-sqlite copies into PostgreSQL: set DATABASE_URL=postgres://HOST:5432/DATABASE");
      const deps = await openDeps(config);
      try {
        const summary = await importSqlite(file, deps.db as PostgresDb);
        for (const { table, rows } of summary.tables) console.log(`${table.padEnd(26)} ${rows}`);
        console.log("imported; every row of the SQLite file is in PostgreSQL");
      } catch (error) {
        if (error instanceof ImportRefused) throw new Error(`nothing imported: ${error.message}`);
        throw error;
      } finally {
        await deps.db.close();
      }
      return;
    }
    case "worker":
      return worker(config);
    case "keys":
      return keys(config, args);
    default:
      throw new Error(usage);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`config error: ${error.message}`);
  else if (error instanceof StartupError) console.error(`cannot start: ${error.message}`);
  else if (error instanceof DomainError) console.error(`error: ${error.errors.map((e) => e.message).join("; ")}`);
  else if (error instanceof Error && !error.stack?.includes("\n    at ")) console.error(error.message);
  else console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
