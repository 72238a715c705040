import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCourse, REGISTER, registrationInput } from "../helpers/factories.js";
import { postgresTestUrl, postgresUnavailable } from "../helpers/postgres.js";
import { runCli, spawnServer } from "../helpers/process.js";
import { startTestServer } from "../helpers/server.js";
import { deliveries } from "../mail/mail-harness.js";

/*
 * A place the process cannot write to stops the start with one line naming the setting,
 * the path and the reason, and exit code 1. The paths fail even as root (tests may run
 * as root, where chmod does not stop writes): a folder under a regular file, or /proc.
 */

const scratch = mkdtempSync(join(tmpdir(), "events-startup-"));
const aFile = join(scratch, "a-file");
writeFileSync(aFile, "not a folder\n");
const aFolder = join(scratch, "events.db");
mkdirSync(aFolder);
const goodDatabase = `file:${join(scratch, "good", "events.db")}`;
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const unusableDatabases: { url: string; line: string | RegExp }[] = [
  { url: `file:${aFile}/events.db`, line: `cannot start: DATABASE_URL=file:${aFile}/events.db: ${aFile} is not a folder` },
  { url: `file:${aFile}/deeper/events.db`, line: `cannot start: DATABASE_URL=file:${aFile}/deeper/events.db: ${aFile} is not a folder` },
  { url: "file:/proc/x/db", line: /^cannot start: DATABASE_URL=file:\/proc\/x\/db: cannot create the folder \/proc\/x: no such file or directory \(ENOENT\)$/ },
  { url: `file:${aFolder}`, line: `cannot start: DATABASE_URL=file:${aFolder}: that is not a file` },
  // A PostgreSQL that does not answer: the URL (its password masked) and the driver's reason.
  { url: "postgres://events:s3cret@127.0.0.1:1/events", line: /^cannot start: DATABASE_URL=postgres:\/\/events:\*\*\*@127\.0\.0\.1:1\/events: cannot connect or migrate: connect ECONNREFUSED 127\.0\.0\.1:1$/ },
];

// A PostgreSQL that answers but has no such database (only where the tests' server runs).
if ((await postgresUnavailable(postgresTestUrl)) === null) {
  const missing = new URL(postgresTestUrl);
  missing.pathname = "/no_such_database_here";
  const shown = missing.toString();
  unusableDatabases.push({
    url: shown,
    line: `cannot start: DATABASE_URL=${shown}: cannot connect or migrate: database "no_such_database_here" does not exist (create it first: createdb -h ${missing.hostname} -p ${missing.port || 5432}${missing.username ? ` -U ${missing.username}` : ""} no_such_database_here)`,
  });
}

/** The non-empty lines a process wrote to stderr. */
const linesOf = (text: string) => text.split("\n").filter((line) => line.trim() !== "");

describe("start-up errors name what is wrong", () => {
  it.each(unusableDatabases)("DATABASE_URL=$url: one line with the path and DATABASE_URL, exit 1", async ({ url, line }) => {
    // when
    const result = await runCli(["serve"], { DATABASE_URL: url, SEED_DEMO: "false", PORT: "0" });

    // then
    expect(result.code).toBe(1);
    const lines = linesOf(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(typeof line === "string" ? new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`) : line);
    expect(lines[0]).not.toMatch(/\b([A-Z]{4,}): \1\b/);
    expect(result.stdout).not.toContain("ready");
  });

  it("the keys command says the same (every command opens the database the same way)", async () => {
    // when
    const result = await runCli(["keys", "list"], { DATABASE_URL: `file:${aFile}/events.db` });

    // then
    expect(result.code).toBe(1);
    expect(linesOf(result.stderr)).toEqual([`cannot start: DATABASE_URL=file:${aFile}/events.db: ${aFile} is not a folder`]);
  });

  it.each(["serve", "worker"])("`%s` checks MAIL_DIR at start when mail goes to files: one line, exit 1", async (command) => {
    // when
    const result = await runCli([command], { DATABASE_URL: goodDatabase, MAIL_DIR: `${aFile}/mail`, SEED_DEMO: "false", PORT: "0" });

    // then
    expect(result.code).toBe(1);
    expect(linesOf(result.stderr)).toEqual([`cannot start: MAIL_DIR=${aFile}/mail (mail is written to files there, as SMTP_URL is not set): ${aFile} is not a folder`]);
    expect(result.stdout).not.toMatch(/ready|Worker running/);
  });

  it("does not check MAIL_DIR when mail goes out by SMTP", async () => {
    // when
    const server = await spawnServer({ SMTP_URL: "smtp://127.0.0.1:2525", MAIL_DIR: `${aFile}/mail`, SEED_DEMO: "false" });
    const health = await fetch(`${server.baseUrl}/healthz`);
    await server.stop();

    // then
    expect(health.status).toBe(200);
    expect(server.stderr()).toBe("");
  });
});

describe("a file-system error is reported with its code once", () => {
  it("a mail folder that breaks after start: the delivery's lastError reads `EEXIST: file already exists…`, not `EEXIST: EEXIST: …`", async () => {
    // given: MAIL_DIR passed the start-up check, then became a file
    const server = await startTestServer({ env: { RATE_LIMITS: "off" } });
    try {
      const course = await createCourse(server);
      const { data } = await server.gql(REGISTER, { input: registrationInput(course) });
      const mailDir = server.app.deps.config.mailDir;
      rmSync(mailDir, { recursive: true, force: true });
      writeFileSync(mailDir, "not a folder\n");

      // when
      await server.app.worker.runOnce();

      // then
      const [row] = await deliveries(server, { registrationId: data.register.registration.id });
      expect(row!.status).not.toBe("SENT");
      expect(row!.lastError).toBe(`EEXIST: file already exists, mkdir '${mailDir}'`);
    } finally {
      await server.close();
    }
  });
});
