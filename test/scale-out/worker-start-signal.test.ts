import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PG_MIGRATION_LOCK } from "../../src/db/migrate.js";
import type { ScratchDatabase } from "../helpers/postgres.js";
import { collectJsonLog, projectRoot } from "../helpers/process.js";
import { freshPostgresDatabase } from "../helpers/test-database.js";

/*
 * A supervisor may stop a worker while it is still starting (a deploy rolled back, a
 * container stopped at once). The worker must then stop cleanly, not die of the signal's
 * default action mid-start. The moment is made certain with PostgreSQL: the test holds
 * the migrations' advisory lock, so the worker waits inside its start (openDeps) until the
 * test sees its lock request in pg_locks, signals it, and only then lets it go on.
 * (PostgreSQL only: SQLite has no lock a start waits on.)
 */

describe("a worker signalled while it starts", () => {
  let database: ScratchDatabase;
  let holder: pg.Client;
  let dir: string;

  beforeAll(async () => {
    database = await freshPostgresDatabase();
    holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    dir = mkdtempSync(join(tmpdir(), "worker-start-"));
  });
  afterAll(async () => {
    await holder?.end();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stops cleanly once started, without starting its loop, and exits 0", async () => {
    // given the worker waiting for the migrations' lock
    await holder.query("SELECT pg_advisory_lock($1)", [PG_MIGRATION_LOCK]);
    const child = spawn(process.execPath, ["dist/main.js", "worker"], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH, DATABASE_URL: database.url, MAIL_DIR: join(dir, "mail"), LOG_LEVEL: "info", WORKER_INTERVAL_MS: "200" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const log = collectJsonLog(child);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await holder.query<{ waiting: number }>("SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
      if (rows[0]!.waiting > 0) break;
      if (Date.now() > deadline) throw new Error(`the worker never asked for the migrations' lock; stderr: ${log.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // when it is signalled there, and may go on a moment later
    child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await holder.query("SELECT pg_advisory_unlock($1)", [PG_MIGRATION_LOCK]);

    // then
    expect(await exited, `stderr: ${log.stderr()}`).toEqual({ code: 0, signal: null });
    await log.waitForLog((line) => line.msg === "worker shutting down: finishing the current step", 5_000);
    expect(log.logs.map((line) => line.msg)).not.toContain("worker started");
  }, 60_000);
});
