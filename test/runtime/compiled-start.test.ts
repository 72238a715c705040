import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot, spawnNpmScript, type NpmScriptProcess } from "../helpers/process.js";

/*
 * `npm start` on a fresh clone compiles src/ into dist/ and runs the JavaScript with plain
 * node (no TypeScript runner), and everything the code reads from disk at run time is
 * found from there: the migrations, the email templates, the pages' script, the IDE, the
 * registration widget's bundle.
 */

const EVENTS = /* GraphQL */ `{ events(first: 5) { edges { node { slug title } } } }`;
const SUBSCRIBE = /* GraphQL */ `
  mutation ($input: NewsletterInput!) { subscribeToNewsletter(input: $input) { ok userErrors { code } } }
`;
const SERVER_READY = (line: { msg?: string }) => typeof line.msg === "string" && line.msg.startsWith("Server listening at http://127.0.0.1:");
/** Left out of the copy: what a clone does not have (or gets from `npm install`). */
const NOT_IN_A_CLONE = new Set([".git", "node_modules", "dist", "data", "coverage"]);

/** The project as a fresh clone has it, in a temporary folder, with this checkout's node_modules. */
function freshCopyOfProject(): string {
  const copy = mkdtempSync(join(tmpdir(), "events-clone-"));
  for (const entry of readdirSync(projectRoot)) {
    if (!NOT_IN_A_CLONE.has(entry)) cpSync(join(projectRoot, entry), join(copy, entry), { recursive: true });
  }
  symlinkSync(join(projectRoot, "node_modules"), join(copy, "node_modules"));
  return copy;
}

/** argv of a live process, from /proc. */
function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
}

async function waitForEmail(npm: NpmScriptProcess & { dir: string }, timeoutMs: number): Promise<string> {
  const dir = join(npm.dir, "mail");
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const found = existsSync(dir) ? readdirSync(dir).find((name) => name.endsWith(".eml")) : undefined;
    if (found) return join(dir, found);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const complaints = npm.logs().filter((line) => line.level >= 40).map((line) => `${line.msg} ${line.err?.message ?? line.error ?? ""}`);
  throw new Error(`no .eml file in ${dir} within ${timeoutMs} ms; warnings: ${JSON.stringify(complaints)}`);
}

describe("`npm start` from a fresh clone runs the compiled JavaScript", () => {
  let copy: string;
  let npm: NpmScriptProcess & { dir: string };
  let origin: string;
  let server: number;

  beforeAll(async () => {
    copy = freshCopyOfProject();
    expect(existsSync(join(copy, "dist"))).toBe(false);
    npm = spawnNpmScript("start", { SEED_DEMO: "true", WORKER_INTERVAL_MS: "200" }, { cwd: copy });
    // the first start compiles the whole tree: allow for a busy machine
    const ready = await Promise.race([
      npm.waitForLog(SERVER_READY, 180_000),
      npm.exited.then(({ code }) => {
        throw new Error(`npm start exited (code ${code}) before the server listened: ${npm.stderr() || npm.stdout()}`);
      }),
    ]);
    origin = /http:\/\/127\.0\.0\.1:\d+/.exec(ready.msg!)![0];
    server = npm.processTree().find((pid) => pid !== npm.child.pid && commandLine(pid)[0] === "node")!;
  }, 240_000);

  afterAll(async () => {
    npm?.cleanUp();
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it("the server is `node dist/main.js serve` of the copy, with no TypeScript runner loaded", () => {
    expect(commandLine(server)).toEqual(["node", "--enable-source-maps", "--heap-growing-percent=100", "dist/main.js", "serve"]);
    const environment = readFileSync(`/proc/${server}/environ`, "utf8");
    expect(environment).not.toMatch(/tsx|ts-node/);
    expect(existsSync(join(copy, "dist/main.js"))).toBe(true);
    expect(existsSync(join(copy, "dist/main.js.map"))).toBe(true);
  });

  it("serves /graphql over the migrated and seeded database", async () => {
    const response = await fetch(`${origin}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: EVENTS }) });
    const body = (await response.json()) as { data: any; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    expect(body.data.events.edges.length).toBeGreaterThan(0);
  });

  it("renders an email from the templates into the mail folder", async () => {
    // when
    const response = await fetch(`${origin}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: SUBSCRIBE, variables: { input: { email: "ada@clinic.example", firstName: "Ada", consent: true } } }),
    });
    expect(((await response.json()) as { data: any }).data.subscribeToNewsletter).toEqual({ ok: true, userErrors: [] });
    // then the worker of the compiled server renders both parts with their layout
    const mail = await simpleParser(readFileSync(await waitForEmail(npm, 20_000)));
    expect(mail.to).toMatchObject({ text: "ada@clinic.example" });
    expect(mail.text).toContain("Dear Ada,");
    expect(mail.text).toContain("Please confirm that you want to receive our bi-monthly newsletter");
    expect(mail.html).toContain("Please confirm that you want to receive our bi-monthly newsletter");
  });

  it("serves the manage page with its script, and the IDE with its assets", async () => {
    const script = readFileSync(join(copy, "src/pages/registrant-app.js"), "utf8");
    const manage = await fetch(`${origin}/manage`);
    expect(manage.status).toBe(200);
    expect(await manage.text()).toContain(script);
    expect(manage.headers.get("content-security-policy")).toContain(`'sha256-${createHash("sha256").update(script).digest("base64")}'`);

    const ide = await (await fetch(`${origin}/graphql`, { headers: { accept: "text/html" } })).text();
    const asset = /\/vendor\/@apollographql\/graphql-playground-react@[^"']+\.js/.exec(ide)?.[0];
    expect(asset).toBeDefined();
    const served = await fetch(`${origin}${asset}`);
    expect(served.status).toBe(200);
    expect((await served.text()).length).toBeGreaterThan(1000);
  });

  it("serves the registration widget that the build bundled from widget/src", async () => {
    expect(existsSync(join(copy, "dist/widget/v1/registration.js"))).toBe(true);
    const widget = await fetch(`${origin}/widget/v1/registration.js`);
    expect(widget.status).toBe(200);
    expect(widget.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await widget.text()).toContain('"event-registration"');
  });

  it("stops gracefully on SIGTERM to npm", async () => {
    npm.child.kill("SIGTERM");
    expect(await npm.exited).toEqual({ code: 0, signal: null });
    expect(npm.logs().map((line) => line.msg)).toContain("shutting down: finishing in-flight requests");
  });
});
