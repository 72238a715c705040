import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCourse, REGISTER, registrationInput } from "../helpers/factories.js";
import { runCli, spawnServer, type ServerProcess } from "../helpers/process.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/*
 * Deployment scripts choose ADMIN_API_KEY: any value the config accepts works as an admin
 * key, whatever its prefix; a value that could never be sent as a bearer token, or that
 * would be read as a registrant token, stops the server with one line.
 */

const ADMIN_QUERY = /* GraphQL */ `query { viewer { role } apiKeys { name kind prefix } }`;
const VIEWER = /* GraphQL */ `query { viewer { role } }`;

describe("ADMIN_API_KEY with any prefix, in a real `serve` process", () => {
  let server: ServerProcess;
  const adminKey = `adm_${randomBytes(24).toString("hex")}`;
  const databaseFile = join(mkdtempSync(join(tmpdir(), "admin-api-key-")), "events.db");

  beforeAll(async () => {
    server = await spawnServer({ ADMIN_API_KEY: adminKey, SEED_DEMO: "false", WORKER: "false", NODE_ENV: "production", DATABASE_URL: `file:${databaseFile}` });
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dirname(databaseFile), { recursive: true, force: true });
  });

  it("authenticates as an admin over HTTP", async () => {
    // when
    const response = await fetch(`${server.baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ query: ADMIN_QUERY }),
    });
    // then
    const body = (await response.json()) as { data: any; errors?: unknown[] };
    expect(response.status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.viewer.role).toBe("ADMIN");
    // an operator's key may be short and not random: only its first three characters are kept to recognise it
    expect(body.data.apiKeys).toEqual([{ name: "ADMIN_API_KEY", kind: "ADMIN", prefix: "adm" }]);
    const stored = new Database(databaseFile, { readonly: true });
    const rows = stored.prepare("SELECT * FROM api_keys").all();
    stored.close();
    expect(JSON.stringify(rows)).not.toContain(adminKey.slice(0, 6));
  });

  it("still refuses a wrong key of the same shape", async () => {
    const response = await fetch(`${server.baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer adm_${randomBytes(24).toString("hex")}` },
      body: JSON.stringify({ query: VIEWER }),
    });
    expect(response.status).toBe(401);
  });
});

describe("ADMIN_API_KEY values that could never work are refused at start", () => {
  it.each([
    ...["mt_", "st_", "sl_", "nc_", "nu_"].map((prefix) => ({
      what: `the prefix ${prefix} of a registrant or link token`,
      value: `${prefix}${"a".repeat(30)}`,
      line: new RegExp(`^config error: ADMIN_API_KEY must not start with "${prefix}", the prefix of registrant and link tokens$`),
    })),
    { what: "spaces", value: "an admin key with spaces in it", line: /^config error: ADMIN_API_KEY may contain only letters, digits and/ },
    { what: "201 characters", value: "k".repeat(201), line: /^config error: ADMIN_API_KEY must be at most 200 characters long$/ },
  ])("refuses $what with one line and exit code 1, without echoing the value", async ({ value, line }) => {
    const result = await runCli(["serve"], { SEED_DEMO: "false", PORT: "0", ADMIN_API_KEY: value }, 20_000);
    expect(result.code).toBe(1);
    const lines = result.stderr.split("\n").filter((text) => text.trim() !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(result.stderr).not.toContain(value);
  });
});

describe("looking keys up whatever their prefix does not slow registrant tokens down", () => {
  let server: TestServer;
  let manageToken: string;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    const course = await createCourse(server);
    manageToken = (await server.gql(REGISTER, { input: registrationInput(course) })).data.register.manageToken;
  });
  afterAll(() => server.close());

  it("resolves manage and session tokens, and link tokens sent by mistake, without reading api_keys", async () => {
    for (const token of [manageToken, "st_not-a-real-session-token-at-all", "sl_a-sign-in-link-is-no-credential"]) {
      // when
      const from = server.statements.length;
      await server.gql(VIEWER, {}, { token });
      // then
      const statements = server.statements.slice(from);
      if (token !== manageToken) expect(statements.filter((sql) => sql.includes('"api_keys"')), token.slice(0, 3)).toEqual([]);
      else expect(statements.filter((sql) => /"registrant_tokens"|"registrations"/.test(sql)).length).toBeGreaterThan(0);
      expect(statements.filter((sql) => sql.includes('"api_keys"')), token.slice(0, 3)).toEqual([]);
    }
  });
});
