import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const COUNT_EVENTS = "{ events { totalCount } }";
const EXAMPLE_TABS = [
  "Partner: open courses",
  "Partner: apply",
  "Mobile: sign-in link",
  "Mobile: sign in",
  "Mobile: my bookings",
  "Admin: applications",
  "Admin: approve",
  "Admin: record payment",
];

async function openIde(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: "load" });
  await page.locator(".CodeMirror").first().waitFor({ timeout: 20_000 });
}

/** Selects a tab, runs its operation as written and returns the result pane's text. */
async function runTab(page: Page, name: string, expected: string): Promise<string> {
  await page.getByText(name, { exact: true }).click();
  await page.locator('[title="Execute Query (Ctrl-Enter)"]').click();
  const resultPane = page.locator(".CodeMirror-wrap").filter({ hasText: expected });
  await resultPane.waitFor({ timeout: 20_000 });
  return resultPane.innerText();
}

async function landingHtml(url: string): Promise<string> {
  return (await fetch(url, { headers: { accept: "text/html" } })).text();
}

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
  it("opens on the README's example tabs, ready to run against the demo data, with the local admin key in the admin tabs", async () => {
    // given the local admin key the app printed at start
    const adminKey = server.app.localAdminKey!;
    expect(adminKey).toMatch(/^ak_/);
    const page = await browser.newPage();

    // when the IDE opens
    await openIde(page, server.url);

    // then every example tab is there, the first one selected
    for (const name of EXAMPLE_TABS) await page.getByText(name, { exact: true }).waitFor({ timeout: 5_000 });
    // and the partner's Apply registers for the demo course as it stands (event and criterion ids filled in)
    const applied = await runTab(page, "Partner: apply", "manageToken");
    expect(applied).toContain('"status": "PENDING_REVIEW"');
    expect(applied).toMatch(/"userErrors": \[\]/);
    // and the admin tab carries the key in its HTTP headers, so the admin's list works at once
    await page.getByText("Admin: applications", { exact: true }).click();
    await page.getByRole("button", { name: "HTTP Headers (1)", exact: true }).waitFor({ timeout: 5_000 });
    const applications = await runTab(page, "Admin: applications", "totalCount");
    expect(applications).toMatch(/"totalCount": 1/);
    expect(applications).toContain("ada@clinic.example");
    expect(await landingHtml(server.url)).toContain(`Bearer ${adminKey}`);
    // and the result pane has no Tracing / Query Plan drawer saying federation is not supported
    expect(await page.getByRole("button", { name: "Query Plan" }).isVisible()).toBe(false);
    expect(await page.getByText("doesn't support Apollo Federation").isVisible()).toBe(false);
    await page.close();
  });
});

describe("the admin IDE in production", () => {
  let server: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    server = await startTestServer({ seedDemo: true, now: "2026-11-25T12:00:00Z", env: { NODE_ENV: "production", LOG_LEVEL: "silent" } });
    chromium = await launchChromium();
  });

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  it("opens on the same example tabs but never with an admin key in them", async () => {
    // given a production server that knows admin keys
    const page = await chromium.browser.newPage();

    // when the IDE opens
    await openIde(page, server.url);

    // then the example tabs are there
    for (const name of EXAMPLE_TABS) await page.getByText(name, { exact: true }).waitFor({ timeout: 5_000 });
    // and no key is in the page: the admin tab has no headers, says how to send a key, and its call is refused
    const html = await landingHtml(server.url);
    expect(html).toContain("Admin: applications");
    expect(html).not.toMatch(/ak_[A-Za-z0-9]{8,}/);
    expect(html).not.toContain(server.adminKey);
    await page.getByText("Admin: applications", { exact: true }).click();
    await page.getByRole("button", { name: "HTTP Headers", exact: true }).waitFor({ timeout: 5_000 });
    expect(await page.textContent(".CodeMirror")).toContain("Authorization");
    const refused = await runTab(page, "Admin: applications", "UNAUTHENTICATED");
    expect(refused).toContain("errors");
    await page.close();
  });
});
