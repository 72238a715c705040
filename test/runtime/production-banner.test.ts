import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, spawnServer, type ServerProcess } from "../helpers/process.js";

/* What `npm start` prints in production until the operator has done what it needs. */

const NO_ADMIN_KEY = "WARNING: no admin key yet, so nobody can set up courses. Create the first one with `npm run keys -- create --admin` (shown once), or start with ADMIN_API_KEY set.";
const MAIL_TO_FILES = /WARNING: SMTP_URL is not set: emails are only written as \.eml files in MAIL_DIR \(\/.+\/mail\); nobody receives them\. Set SMTP_URL=/;
/** The whole banner: it is written at once, ending with the Mail line or the warnings. */
async function bannerOf(server: ServerProcess): Promise<string> {
  const until = Date.now() + 10_000;
  while (!server.stdout().includes("  Mail:  ") && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  await server.stop();
  return server.stdout().split("\n").filter((line) => !line.startsWith("{")).join("\n");
}

const ADMIN_API_KEY = "ak_production_banner_test_key_0123456789";

describe("the production start banner", () => {
  it("with no admin key and no SMTP_URL, says how to create the first key and that mail goes to files", async () => {
    // when
    const server = await spawnServer({ NODE_ENV: "production" });
    const banner = await bannerOf(server);

    // then
    expect(banner).toContain(NO_ADMIN_KEY);
    expect(banner).toMatch(MAIL_TO_FILES);
    expect(banner).not.toContain("Local admin key");
  });

  it("says nothing of the sort once an admin key exists and SMTP_URL is set", async () => {
    // when
    const server = await spawnServer({ NODE_ENV: "production", ADMIN_API_KEY, SMTP_URL: "smtp://127.0.0.1:2525" });
    const banner = await bannerOf(server);

    // then
    expect(banner).toContain("Event registration API ready");
    expect(banner).not.toContain("WARNING");
  });

  it("stops asking for a key once `keys create --admin` has made one on the same database", async () => {
    // given
    const dir = mkdtempSync(join(tmpdir(), "events-banner-"));
    const env = { NODE_ENV: "production", DATABASE_URL: `file:${join(dir, "events.db")}`, SMTP_URL: "smtp://127.0.0.1:2525" };
    const created = await runCli(["keys", "create", "--admin", "--name", "first admin"], env);
    expect(created.code).toBe(0);

    // when
    const server = await spawnServer(env);
    const banner = await bannerOf(server);
    rmSync(dir, { recursive: true, force: true });

    // then
    expect(banner).toContain("Event registration API ready");
    expect(banner).not.toContain("WARNING");
  });

  it("is not printed outside production", async () => {
    // when
    const server = await spawnServer({});
    const banner = await bannerOf(server);

    // then
    expect(banner).toContain("Local admin key");
    expect(banner).not.toContain("WARNING");
  });
});
