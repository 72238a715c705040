import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys } from "../../src/db/tables.js";
import { countRows } from "../helpers/db.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { CREATE_API_KEY, createPartner, REVOKE_API_KEY } from "./fixtures.js";

const API_KEYS = /* GraphQL */ `
  { apiKeys { id kind name prefix allowedOrigins createdAt lastUsedAt revokedAt organisation { slug } } }
`;

const VIEWER = /* GraphQL */ `{ viewer { role organisation { slug } } }`;

const run = promisify(execFile);

describe("API keys through the admin API", () => {
  let server: TestServer;
  let partnerId: string;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    partnerId = await createPartner(server, "mila");
  });
  afterAll(() => server?.close());

  it("creates a publishable key, shows it once, stores only its hash, and lists it without the key", async () => {
    // when
    const { data } = await server.admin(CREATE_API_KEY, {
      input: { kind: "PUBLISHABLE", name: "MILA website", organisationId: partnerId, allowedOrigins: ["https://www.mila.example/", "https://mila.example"] },
    });
    const { key, apiKey } = data.createApiKey;
    const listed = await server.admin(API_KEYS);

    // then
    expect(key).toMatch(/^pk_[A-Za-z0-9_-]{32}$/);
    expect(apiKey).toMatchObject({
      kind: "PUBLISHABLE",
      name: "MILA website",
      prefix: key.slice(0, 10),
      allowedOrigins: ["https://www.mila.example", "https://mila.example"],
      createdAt: "2023-06-01T12:00:00.000Z",
      lastUsedAt: null,
      revokedAt: null,
      organisation: { slug: "mila" },
    });
    expect(listed.data.apiKeys).toContainEqual({ ...apiKey, organisation: { slug: "mila" } });
    expect(JSON.stringify(listed.data)).not.toContain(key);
    const stored = JSON.stringify(await server.app.deps.db.select().from(apiKeys));
    expect(stored).not.toContain(key);
  });

  it("makes keys that work at once and record when they were last used", async () => {
    // given
    const { data } = await server.admin(CREATE_API_KEY, { input: { kind: "SECRET", name: "MILA server", organisationId: partnerId } });
    const { key, apiKey } = data.createApiKey;
    server.clock.advance(5_000);

    // when
    const viewer = await server.gql(VIEWER, {}, { token: key });
    const listed = await server.admin(API_KEYS);

    // then
    expect(viewer.data.viewer).toEqual({ role: "PARTNER", organisation: { slug: "mila" } });
    expect(listed.data.apiKeys.find((row: { id: string }) => row.id === apiKey.id).lastUsedAt).toBe("2023-06-01T12:00:05.000Z");
  });

  it("revokes a key: it stops working at once and stays listed as revoked", async () => {
    // given
    const { data } = await server.admin(CREATE_API_KEY, { input: { kind: "ADMIN", name: "automation" } });
    const { key, apiKey } = data.createApiKey;
    expect((await server.gql(API_KEYS, {}, { token: key })).errors).toBeUndefined();

    // when
    const revoked = await server.admin(REVOKE_API_KEY, { id: apiKey.id });
    const again = await server.admin(REVOKE_API_KEY, { id: apiKey.id });
    const used = await server.gql(API_KEYS, {}, { token: key });

    // then
    expect(revoked.data.revokeApiKey).toEqual({ apiKey: { id: apiKey.id, revokedAt: "2023-06-01T12:00:05.000Z" }, userErrors: [] });
    expect(again.data.revokeApiKey.userErrors).toEqual([{ field: ["id"], code: "INVALID_STATE", message: "This key is already revoked." }]);
    expect(used.status).toBe(401);
    expect(used.errors![0]!.extensions!.code).toBe("UNAUTHENTICATED");
    expect(used.data ?? null).toBeNull();
  });

  it.each([
    [{ kind: "PUBLISHABLE", name: "no origins", organisationId: "ORG" }, [["input", "allowedOrigins"], "REQUIRED"]],
    [{ kind: "PUBLISHABLE", name: "bad origin", organisationId: "ORG", allowedOrigins: ["javascript:alert(1)"] }, [["input", "allowedOrigins", "0"], "INVALID"]],
    [{ kind: "PUBLISHABLE", name: "page address", organisationId: "ORG", allowedOrigins: ["https://www.mila.example/register"] }, [["input", "allowedOrigins", "0"], "INVALID"]],
    [{ kind: "PUBLISHABLE", name: "origin with a query", organisationId: "ORG", allowedOrigins: ["https://www.mila.example/?a=1"] }, [["input", "allowedOrigins", "0"], "INVALID"]],
    [{ kind: "PUBLISHABLE", name: "long origin", organisationId: "ORG", allowedOrigins: [`https://${"a".repeat(250)}.example`] }, [["input", "allowedOrigins", "0"], "TOO_LONG"]],
    [{ kind: "SECRET", name: "no partner" }, [["input", "organisationId"], "REQUIRED"]],
    [{ kind: "SECRET", name: "unknown partner", organisationId: "org_01ARZ3NDEKTSV4RRFFQ69G5FAV" }, [["input", "organisationId"], "NOT_FOUND"]],
    [{ kind: "SECRET", name: "origins on a secret key", organisationId: "ORG", allowedOrigins: ["https://a.example"] }, [["input", "allowedOrigins"], "INVALID"]],
    [{ kind: "ADMIN", name: "admin with partner", organisationId: "ORG" }, [["input", "organisationId"], "INVALID"]],
    [{ kind: "ADMIN", name: "x".repeat(101) }, [["input", "name"], "TOO_LONG"]],
    [{ kind: "ADMIN", name: "   " }, [["input", "name"], "REQUIRED"]],
  ])("refuses %j and stores nothing", async (input: Record<string, unknown>, [field, code]) => {
    // given
    const before = await countRows(server, "api_keys");
    const withPartner = { ...input, ...(input.organisationId === "ORG" ? { organisationId: partnerId } : {}) };

    // when
    const { data } = await server.admin(CREATE_API_KEY, { input: withPartner });

    // then
    expect(data.createApiKey.key).toBeNull();
    expect(data.createApiKey.apiKey).toBeNull();
    expect(data.createApiKey.userErrors).toContainEqual(expect.objectContaining({ field, code }));
    expect(await countRows(server, "api_keys")).toBe(before);
  });

  it("reports an unknown key id as NOT_FOUND", async () => {
    // when
    const { data } = await server.admin(REVOKE_API_KEY, { id: "key_01ARZ3NDEKTSV4RRFFQ69G5FAV" });

    // then
    expect(data.revokeApiKey).toEqual({ apiKey: null, userErrors: [{ field: ["id"], code: "NOT_FOUND", message: "No API key has this id." }] });
  });
});

// The CLI runs on a SQLite file of its own, whichever dialect the suite runs on: the test reads the file itself.
describe("npm run keys (the CLI)", { timeout: 120_000 }, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "events-cli-"));
    env = { PATH: process.env.PATH, DATABASE_URL: `file:${join(dir, "events.db")}`, SEED_DEMO: "false", LOG_LEVEL: "silent" };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const keys = (...args: string[]) => run(process.execPath, ["dist/main.js", "keys", ...args], { env, timeout: 60_000 });

  it("creates, lists and revokes keys in the database the server uses", async () => {
    // when
    const created = await keys("create", "--admin", "--name", "deploy bot");
    expect(created.stdout, `the CLI's stderr: ${created.stderr}`).toMatch(/created ADMIN key/);
    const key = /\b(ak_[A-Za-z0-9_-]{32})\b/.exec(created.stdout)![1]!;
    const id = /created ADMIN key (key_\w+)/.exec(created.stdout)![1]!;
    const listed = await keys("list");
    const revoked = await keys("revoke", id);
    const listedAfter = await keys("list");

    // then
    expect(created.stdout).toMatch(/only time the key is shown/);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+ADMIN\\s+${key.slice(0, 10)}…\\s+active\\s+deploy bot`));
    expect(listed.stdout).not.toContain(key);
    expect(revoked.stdout.trim()).toBe(`revoked ${id}`);
    expect(listedAfter.stdout).toMatch(new RegExp(`${id}.*REVOKED`));
    const db = new Database(join(dir, "events.db"), { readonly: true });
    expect(db.prepare("SELECT kind, name, revoked_at IS NOT NULL AS revoked FROM api_keys WHERE id = ?").get(id)).toEqual({ kind: "ADMIN", name: "deploy bot", revoked: 1 });
    db.close();
  });

  it("refuses a partner key for an unknown organisation, with a clear message and exit code 1", async () => {
    // when
    const failure = await keys("create", "--secret", "--org", "nobody").then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );

    // then
    expect(failure).toMatchObject({ code: 1 });
    expect(failure!.stderr).toMatch(/no organisation has the slug "nobody"/);
  });

  it("refuses a publishable key without an origin", async () => {
    // given: an organisation to attach it to
    const db = new Database(join(dir, "events.db"));
    db.prepare("INSERT INTO organisations (id, slug, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)").run("org_01ARZ3NDEKTSV4RRFFQ69G5FAV", "cli-partner", "CLI Partner", Date.now(), Date.now());
    db.close();

    // when
    const failure = await keys("create", "--publishable", "--org", "cli-partner").then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    const created = await keys("create", "--publishable", "--org", "cli-partner", "--origin", "https://cli-partner.example");

    // then
    expect(failure!.stderr).toMatch(/publishable key needs the origins/);
    expect(created.stdout).toMatch(/created PUBLISHABLE key key_\w+ ".*" for https:\/\/cli-partner\.example\n/);
    expect(created.stdout).toMatch(/pk_[A-Za-z0-9_-]{32}/);
  });
});
