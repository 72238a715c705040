import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const COUNT_EVENTS = "{ events { totalCount } }";

describe("the admin IDE at /graphql", () => {
  let server: TestServer;
  let browser: BrowserContext;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    server = await startTestServer({ seedDemo: true, now: "2026-11-25T12:00:00Z" });
    chromium = await launchChromium();
    browser = chromium.browser;
  });

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  it("loads GraphQL Playground offline, runs a query and shows the result, and no request leaves 127.0.0.1", async () => {
    // given
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    const serverOrigin = new URL(server.url).origin;

    // when
    const landing = await page.goto(server.url, { waitUntil: "load" });
    await page.locator(".CodeMirror").first().waitFor({ timeout: 20_000 });
    const queryEditor = page.locator(".CodeMirror").first();
    await queryEditor.click();
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Delete");
    await page.keyboard.insertText(COUNT_EVENTS);
    await page.locator('[title="Execute Query (Ctrl-Enter)"]').click();
    const resultPane = page.locator(".CodeMirror-wrap").filter({ hasText: "totalCount" });
    await resultPane.waitFor({ timeout: 20_000 });

    // then
    expect(landing?.status()).toBe(200);
    expect(await page.title()).toContain("Playground");
    const resultText = await resultPane.innerText();
    expect(resultText).toMatch(/"events":\s*\{\s*"totalCount":\s*2\s*\}/);
    const graphqlPosts = requested.filter((url) => url === server.url);
    expect(graphqlPosts.length).toBeGreaterThanOrEqual(2);
    expect(requested.some((url) => url.includes("/vendor/@apollographql/graphql-playground-react@"))).toBe(true);
    const offsite = requested.filter((url) => new URL(url).origin !== serverOrigin && !url.startsWith("data:") && !url.startsWith("blob:"));
    expect(offsite).toEqual([]);
    expect(requested.every((url) => url.startsWith("data:") || url.startsWith("blob:") || new URL(url).hostname === "127.0.0.1")).toBe(true);
  });
});
