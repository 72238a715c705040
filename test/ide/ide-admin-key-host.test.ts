import { afterEach, describe, expect, it } from "vitest";
import { spawnServer, type ServerProcess } from "../helpers/process.js";

/*
 * Outside production the IDE's admin tabs carry the local admin key, which is only safe
 * while no other machine can load the page: on a loopback address. Bound to every
 * interface (HOST=0.0.0.0, e.g. in a container), the page must not hand it out.
 */

async function idePage(server: ServerProcess): Promise<string> {
  const port = new URL(server.baseUrl).port;
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, { headers: { accept: "text/html" } });
  expect(response.status).toBe(200);
  return response.text();
}

describe("the local admin key in the IDE", () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it("is in the admin tabs when the server listens on loopback", async () => {
    // given
    server = await spawnServer({ HOST: "127.0.0.1" });
    const key = /ak_[A-Za-z0-9_-]{20,}/.exec(server.stdout())?.[0];
    expect(key).toBeDefined();

    // when
    const html = await idePage(server);

    // then
    expect(html).toContain(key!);
  });

  it("is nowhere in the page when the server listens on every interface", async () => {
    // given
    server = await spawnServer({ HOST: "0.0.0.0" });
    const key = /ak_[A-Za-z0-9_-]{20,}/.exec(server.stdout())?.[0];
    expect(key).toBeDefined();

    // when
    const html = await idePage(server);

    // then
    expect(html).not.toContain(key!);
    expect(html).not.toMatch(/Bearer ak_[A-Za-z0-9_-]{20,}/);
    expect(html).toContain("Admin: applications");
  });
});
