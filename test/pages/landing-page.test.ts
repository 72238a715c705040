import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const LINKS = ["/graphql", "/sign-in", "/healthz", "/readyz"];
/** Collects every CSP violation the page reports, from before its first byte is parsed. */
const RECORD_CSP_VIOLATIONS = `
  window.cspViolations = [];
  document.addEventListener("securitypolicyviolation", (event) => window.cspViolations.push(event.violatedDirective + " " + event.blockedURI));
`;

describe("the landing page at /", () => {
  let server: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: BrowserContext;

  beforeAll(async () => {
    server = await startTestServer();
    chromium = await launchChromium();
    browser = chromium.browser;
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  it("says what the server is and links to the IDE, the sign-in page and the health checks, under a strict CSP it does not violate", async () => {
    // given a browser that records requests, console errors and CSP violations
    const origin = new URL(server.url).origin;
    const page = await browser.newPage();
    await page.addInitScript(RECORD_CSP_VIOLATIONS);
    const requested: string[] = [];
    const consoleErrors: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    page.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text()));

    // when it opens the server's root
    const response = await page.goto(`${origin}/`, { waitUntil: "load" });

    // then it gets an HTML page about the API
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-type"]).toMatch(/^text\/html/);
    expect(await page.title()).toBe("Event registration API");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Event registration API");
    expect(await page.textContent("main")).toContain("GraphQL API");
    // with the four links, each leading somewhere that answers
    for (const path of LINKS) {
      const link = page.getByRole("link", { name: path, exact: true });
      expect(await link.getAttribute("href")).toBe(path);
      const target = await fetch(`${origin}${path}`, { headers: { accept: "text/html" } });
      expect(target.status, path).toBe(200);
    }
    // under a policy that allows no script and no inline style but its own
    const csp = response!.headers()["content-security-policy"]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("script-src");
    expect(await page.evaluate("window.cspViolations")).toEqual([]);
    expect(consoleErrors).toEqual([]);
    // and nothing is loaded from anywhere else
    expect(requested).toEqual([`${origin}/`]);
    // and its stylesheet applied (a blocked <style> would leave the default margins)
    expect(await page.evaluate("getComputedStyle(document.body).maxWidth")).not.toBe("none");
    await page.close();
  });
});
