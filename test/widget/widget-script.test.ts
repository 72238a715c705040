import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WIDGET_CACHE_CONTROL } from "../../src/pages/widget-script.js";
import { SCHEMA_HAS_PAYMENT_FIELDS } from "../../widget/src/operations.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/* How /widget/v1/registration.js is served to partner pages (the browser side: registration-widget.test.ts). */

describe("GET /widget/v1/registration.js", () => {
  let server: TestServer;
  let scriptUrl: string;

  beforeAll(async () => {
    server = await startTestServer();
    scriptUrl = `${server.app.url}/widget/v1/registration.js`;
  });
  afterAll(() => server?.close());

  it("serves the ES module to any origin: JavaScript type, CORS, CORP, nosniff, cacheable with a content ETag", async () => {
    // when
    const response = await fetch(scriptUrl, { headers: { origin: "https://any-partner.example" } });
    const body = await response.text();

    // then
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("cache-control")).toBe(WIDGET_CACHE_CONTROL);
    expect(WIDGET_CACHE_CONTROL).toMatch(/^public, max-age=\d{5,}/);
    expect(response.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(body).toContain('"event-registration"');
    expect(body).toMatch(/import\.meta\.url/);
  });

  it("answers a revalidation with the same ETag with 304 and no body", async () => {
    // given
    const first = await fetch(scriptUrl);
    const etag = first.headers.get("etag")!;
    await first.arrayBuffer();

    // when
    const again = await fetch(scriptUrl, { headers: { "if-none-match": etag } });

    // then
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect(again.headers.get("etag")).toBe(etag);
    expect(again.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("never builds DOM from HTML strings or evaluates code (a partner's CSP and user data stay safe)", async () => {
    // when
    const body = await (await fetch(scriptUrl)).text();

    // then
    expect(body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\("style"/);
  });
});

describe("the widget's GraphQL operations", () => {
  it("ask for the payment fields exactly when the server's schema has them (flip SCHEMA_HAS_PAYMENT_FIELDS in widget/src/operations.ts)", () => {
    // given
    const schema = readFileSync(new URL("../../schema/schema.graphql", import.meta.url), "utf8");
    const registrationType = /^type Registration implements[^{]*\{([\s\S]*?)^\}/m.exec(schema)![1]!;

    // then
    expect(SCHEMA_HAS_PAYMENT_FIELDS).toBe(/^\s*paymentUrl\b/m.test(registrationType));
  });
});
