import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ScratchDatabase } from "../helpers/postgres.js";
import { runCli } from "../helpers/process.js";
import { freshPostgresDatabase, onPostgres } from "../helpers/test-database.js";

/* `npm run keys -- …`: what an operator sees, on a SQLite file or (postgres project) a fresh PostgreSQL database. */

const PARTNER_SLUG = "mentalizing-initiative-la"; // from the demo data loaded by `seed`

let dir: string;
let env: Record<string, string>;
let postgres: ScratchDatabase | null = null;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "events-keys-"));
  postgres = onPostgres ? await freshPostgresDatabase() : null;
  env = { DATABASE_URL: postgres ? postgres.url : `file:${join(dir, "events.db")}` };
});
afterEach(async () => {
  await postgres?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("keys list", () => {
  it("says so when there are no keys, and how to create the first", async () => {
    // when
    const result = await runCli(["keys", "list"], env);

    // then
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe("no API keys yet; create the first admin key with `npm run keys -- create --admin`");
  });

  it("lists the keys once there are some", async () => {
    // given
    await runCli(["keys", "create", "--admin", "--name", "ops"], env);

    // when
    const result = await runCli(["keys", "list"], env);

    // then
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^key_\w+\s+ADMIN\s+ak_\S+…\s+active\s+ops\s*$/m);
    expect(result.stdout).not.toContain("no API keys yet");
  });
});

describe("keys create --publishable --origin", () => {
  it("refuses a page address with one clear line instead of cutting it to its origin", async () => {
    // given
    expect((await runCli(["seed"], env)).code).toBe(0);

    // when
    const result = await runCli(["keys", "create", "--publishable", "--org", PARTNER_SLUG, "--origin", "https://x.example/page"], env);
    const listed = await runCli(["keys", "list"], env);

    // then
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('--origin "https://x.example/page" is a page address; give its origin (scheme, host and port): https://x.example');
    expect(result.stdout).toBe("");
    expect(listed.stdout).toContain("no API keys yet");
  });

  it.each(["https://x.example?ref=1", "https://x.example/#top", "https://user@x.example"])("refuses %s too", async (origin) => {
    // given
    expect((await runCli(["seed"], env)).code).toBe(0);

    // when
    const result = await runCli(["keys", "create", "--publishable", "--org", PARTNER_SLUG, "--origin", origin], env);

    // then
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^--origin ".+" is a page address; give its origin \(scheme, host and port\): https:\/\/x\.example$/);
  });

  it("accepts an origin, with or without the trailing slash", async () => {
    // given
    expect((await runCli(["seed"], env)).code).toBe(0);

    // when
    const result = await runCli(["keys", "create", "--publishable", "--org", PARTNER_SLUG, "--origin", "https://x.example/", "--origin", "http://localhost:5173"], env);

    // then
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^created PUBLISHABLE key key_\w+ "publishable key \(CLI\)" for https:\/\/x\.example, http:\/\/localhost:5173$/m);
  });
});
