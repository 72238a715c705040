import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { runCli } from "../helpers/process.js";

/* A bad setting stops `serve` before it touches anything: one clear line, exit code 1. */

const badSettings: { env: Record<string, string>; line: RegExp }[] = [
  { env: { DATABASE_URL: "mysql://x" }, line: /^config error: DATABASE_URL must look like file:\.\/data\/events\.db or postgres:\/\/HOST:5432\/DATABASE, got "mysql:\/\/x"$/ },
  { env: { DATABASE_URL: "file:" }, line: /^config error: DATABASE_URL "file:" needs a path/ },
  { env: { DATABASE_URL: "postgres://127.0.0.1:5432" }, line: /^config error: DATABASE_URL needs a database name, e\.g\. postgres:\/\/127\.0\.0\.1:5432\/events$/ },
  { env: { DATABASE_URL: "postgres://127.0.0.1:5432/events", DATABASE_POOL_SIZE: "0" }, line: /^config error: DATABASE_POOL_SIZE/ },
  { env: { PORT: "99999" }, line: /^config error: PORT must be a number from 0 to 65535, got "99999"$/ },
  { env: { PORT: "eighty" }, line: /^config error: PORT must be a number from 0 to 65535, got "eighty"$/ },
  { env: { SMTP_URL: "http://mail.example" }, line: /^config error: SMTP_URL must start with smtp:\/\/ or smtps:\/\// },
  { env: { TRANSACTION_GUARD: "sometimes" }, line: /^config error: TRANSACTION_GUARD must be true or false, got "sometimes"$/ },
  { env: { WORKER: "sometimes" }, line: /^config error: WORKER must be true or false, got "sometimes"$/ },
  { env: { RESPONSE_CACHE: "maybe" }, line: /^config error: RESPONSE_CACHE must be true or false, got "maybe"$/ },
  { env: { RESPONSE_CACHE_TTL_SECONDS: "0" }, line: /^config error: RESPONSE_CACHE_TTL_SECONDS must be a positive integer, got "0"$/ },
];

describe("configuration is validated at start", () => {
  it.each(badSettings)("refuses $env with one clear line on stderr and exit code 1", async ({ env, line }) => {
    // when
    const result = await runCli(["serve"], { SEED_DEMO: "false", ...env });

    // then
    expect(result.code).toBe(1);
    const lines = result.stderr.split("\n").filter((text) => text.trim() !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).not.toContain("ready");
  });

  it("creates no database when the config is bad", async () => {
    // given: a valid database path, but a bad port
    const dir = mkdtempSync(join(tmpdir(), "events-config-"));
    const databaseFile = join(dir, "db", "events.db");

    // when
    const result = await runCli(["migrate"], { DATABASE_URL: `file:${databaseFile}`, PORT: "70000" });

    // then
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('config error: PORT must be a number from 0 to 65535, got "70000"');
    expect(result.stdout).not.toContain("migrations applied");
    expect(existsSync(databaseFile)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("the transaction guard's setting", () => {
  it("is on outside production and off in production, unless TRANSACTION_GUARD says otherwise", () => {
    expect(loadConfig({}).transactionGuard).toBe(true);
    expect(loadConfig({ NODE_ENV: "test" }).transactionGuard).toBe(true);
    expect(loadConfig({ NODE_ENV: "production" }).transactionGuard).toBe(false);
    expect(loadConfig({ NODE_ENV: "production", TRANSACTION_GUARD: "on" }).transactionGuard).toBe(true);
    expect(loadConfig({ TRANSACTION_GUARD: "false" }).transactionGuard).toBe(false);
  });
});
