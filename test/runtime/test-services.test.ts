import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { postgresTestUrl, postgresUnavailable } from "../helpers/postgres.js";
import { projectRoot } from "../helpers/process.js";

/*
 * `npm test` must work where Redis is not running (it skips the shared-store tests and
 * says how to run them), while CI, which sets REQUIRE_REDIS=1, must fail rather than skip.
 * Run through vitest itself, pointed at a port where nothing listens.
 */

const SHARED_STORE_TESTS = "test/security/rate-limits-shared.test.ts";
const NO_REDIS = "redis://127.0.0.1:1/15";
const NOTICE = "NOTICE: skipping the shared rate-limit tests: no Redis at 127.0.0.1:1";

async function runVitest(file: string, env: Record<string, string>, args: string[] = ["--project", "sqlite"]): Promise<{ code: number | null; output: string }> {
  const child = spawn(join(projectRoot, "node_modules/.bin/vitest"), ["run", file, ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.on("close", done));
  return { code, output };
}

describe("tests that need Redis", () => {
  it("are skipped with one notice saying how to run them when Redis is unreachable", async () => {
    // when
    const result = await runVitest(SHARED_STORE_TESTS, { REDIS_TEST_URL: NO_REDIS });

    // then
    expect(result.code, result.output).toBe(0);
    expect(result.output.split(NOTICE)).toHaveLength(2);
    expect(result.output).toContain("ECONNREFUSED");
    expect(result.output).toContain("start one (redis-server");
    expect(result.output).toMatch(/Tests\s+1 passed \| 2 skipped \(3\)/);
    expect(result.output).not.toContain("STACK.md");
  }, 60_000);

  it("fail instead when REQUIRE_REDIS=1 (as .ci/run sets it)", async () => {
    // when
    const result = await runVitest(SHARED_STORE_TESTS, { REDIS_TEST_URL: NO_REDIS, REQUIRE_REDIS: "1" });

    // then
    expect(result.code).toBe(1);
    expect(result.output).toContain("REQUIRE_REDIS=1 but Redis at 127.0.0.1:1 is unreachable");
    expect(result.output).not.toContain(NOTICE);
  }, 60_000);
});

const postgresMissing = (await postgresUnavailable(postgresTestUrl)) !== null;

describe("the PostgreSQL run of the suite", () => {
  const NO_POSTGRES = "postgres://postgres@127.0.0.1:1/postgres";
  const PG_NOTICE = "PostgreSQL at postgres@127.0.0.1:1 does not answer";

  it("is left out with one notice saying how to run it when PostgreSQL is unreachable", async () => {
    // when
    const result = await runVitest("test/mail/retry-policy.test.ts", { TEST_DATABASE_URL: NO_POSTGRES }, []);

    // then: the SQLite run alone, and it passes
    expect(result.code, result.output).toBe(0);
    expect(result.output.split(PG_NOTICE)).toHaveLength(2);
    expect(result.output).toContain("running the suite on SQLite only");
    expect(result.output).toMatch(/\|sqlite\| test\/mail\/retry-policy/);
    expect(result.output).not.toMatch(/\|postgres\| test\/mail\/retry-policy/);
  }, 60_000);

  it("fails the run instead when REQUIRE_POSTGRES=1 (as .ci/run sets it)", async () => {
    // when
    const result = await runVitest("test/mail/retry-policy.test.ts", { TEST_DATABASE_URL: NO_POSTGRES, REQUIRE_POSTGRES: "1" }, []);

    // then
    expect(result.code).toBe(1);
    expect(result.output).toContain("REQUIRE_POSTGRES=1 but PostgreSQL at postgres@127.0.0.1:1 does not answer");
  }, 60_000);

  it.skipIf(postgresMissing)("runs every file on both databases when PostgreSQL answers", async () => {
    // when (the server of this run: the suite itself runs it, or skips this file's project)
    const result = await runVitest("test/db/schema-drift.test.ts", {}, []);

    // then
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/\|sqlite\| test\/db\/schema-drift/);
    expect(result.output).toMatch(/\|postgres\| test\/db\/schema-drift/);
  }, 60_000);
});
