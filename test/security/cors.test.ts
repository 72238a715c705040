import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken, newToken } from "../../src/auth/tokens.js";
import { openDatabase } from "../../src/db/client.js";
import { apiKeys } from "../../src/db/tables.js";
import { PUBLISHABLE_ORIGINS_TTL_MS } from "../../src/modules/api-keys/api-keys.service.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { createKey, createPartner, REVOKE_API_KEY } from "./fixtures.js";

const VIEWER = /* GraphQL */ `{ viewer { role organisation { slug } } }`;

const partnerSite = "https://www.partner.example";
const adminTool = "https://admin.example";
const foreignSite = "https://evil.example";

describe("CORS and publishable keys", () => {
  let server: TestServer;
  let partnerId: string;
  let publishable: { key: string; id: string };

  beforeAll(async () => {
    server = await startTestServer({ env: { ADMIN_ORIGINS: adminTool, PUBLIC_URL: "https://api.events.example" } });
    partnerId = await createPartner(server, "cors-partner");
    publishable = await createKey(server, { kind: "PUBLISHABLE", organisationId: partnerId, allowedOrigins: [partnerSite] });
  });
  afterAll(() => server?.close());

  function preflight(origin: string) {
    return fetch(server.url, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
  }

  it("serves a publishable key from its allowed origin, with the CORS headers a browser needs", async () => {
    // when
    const { status, data, headers } = await server.gql(VIEWER, {}, { token: publishable.key, headers: { origin: partnerSite } });

    // then
    expect(status).toBe(200);
    expect(data.viewer).toEqual({ role: "PARTNER", organisation: { slug: "cors-partner" } });
    expect(headers.get("access-control-allow-origin")).toBe(partnerSite);
    expect(headers.get("vary")).toMatch(/Origin/);
    expect(headers.get("access-control-expose-headers")).toMatch(/retry-after/);
  });

  it.each([
    ["another origin", { origin: foreignSite }],
    ["no origin at all (a server copying the key)", {}],
    ["an origin that only starts like the allowed one", { origin: `${partnerSite}.evil.example` }],
  ])("refuses a publishable key from %s with FORBIDDEN", async (_case, headers: Record<string, string>) => {
    // when
    const response = await server.gql(VIEWER, {}, { token: publishable.key, headers });

    // then
    expect(response.status).toBe(403);
    expect(response.errors![0]!.extensions!.code).toBe("FORBIDDEN");
    expect(response.data ?? null).toBeNull();
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it.each([
    ["a publishable key's origin", partnerSite],
    ["a configured admin origin", adminTool],
    ["the server's own origin", "https://api.events.example"],
  ])("answers a preflight from %s", async (_case, origin) => {
    // when
    const response = await preflight(origin);

    // then
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(origin);
    expect(response.headers.get("access-control-allow-methods")).toMatch(/POST/);
    expect(response.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    expect(response.headers.get("access-control-allow-headers")).toMatch(/content-type/);
    expect(response.headers.get("access-control-allow-headers")).toMatch(/apollo-require-preflight/);
    expect(response.headers.get("access-control-max-age")).toBe("600");
  });

  it("gives a preflight from any other origin no permission", async () => {
    // when
    const response = await preflight(foreignSite);

    // then
    expect(response.ok).toBe(false);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-allow-methods")).toBeNull();
  });

  it("gives anonymous calls from a foreign origin no CORS headers, so a browser hides the answer", async () => {
    // when
    const { status, headers } = await server.gql(VIEWER, {}, { headers: { origin: foreignSite } });

    // then
    expect(status).toBe(200);
    expect(headers.get("access-control-allow-origin")).toBeNull();
  });

  it("opens an origin as soon as a key for it is created, and closes it when the key is revoked", async () => {
    // given
    const origin = "https://new-partner.example";
    expect((await preflight(origin)).headers.get("access-control-allow-origin")).toBeNull();

    // when
    const key = await createKey(server, { kind: "PUBLISHABLE", organisationId: partnerId, allowedOrigins: [origin] });
    const whileLive = await preflight(origin);
    await server.admin(REVOKE_API_KEY, { id: key.id });
    const afterRevoke = await preflight(origin);
    const revokedKeyUse = await server.gql(VIEWER, {}, { token: key.key, headers: { origin } });

    // then
    expect(whileLive.headers.get("access-control-allow-origin")).toBe(origin);
    expect(afterRevoke.headers.get("access-control-allow-origin")).toBeNull();
    expect(revokedKeyUse.status).toBe(401);
  });

  it(`picks up keys made by another process (the CLI) within ${PUBLISHABLE_ORIGINS_TTL_MS / 1000} s`, async () => {
    // given
    const origin = "https://cli-made.example";
    await preflight(origin);
    // Connections of their own, as the CLI's: the server hears of the write as of another process's.
    const other = openDatabase(server.app.deps.config.database);
    const key = newToken("publishableKey");
    await other.transaction((tx) =>
      tx
        .insert(apiKeys)
        .values({ id: "key_01ARZ3NDEKTSV4RRFFQ69G5FAV", kind: "PUBLISHABLE", name: "cli", prefix: key.slice(0, 10), hash: hashToken(key), organisationId: partnerId, allowedOrigins: [origin], createdAt: new Date() })
        .run(),
    );
    await other.close();

    // when
    await new Promise((resolve) => setTimeout(resolve, PUBLISHABLE_ORIGINS_TTL_MS + 200));
    const response = await preflight(origin);
    const used = await server.gql(VIEWER, {}, { token: key, headers: { origin } });

    // then
    expect(response.headers.get("access-control-allow-origin")).toBe(origin);
    expect(used.data.viewer.role).toBe("PARTNER");
  });
});
