import { get as httpGet } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { spawnServer, type ServerProcess } from "../helpers/process.js";

/*
 * Outside production the IDE's admin tabs carry the local admin key, which is only safe
 * while no other machine can load the page: on a loopback address. Bound to every
 * interface (HOST=0.0.0.0, e.g. in a container), the page must not hand it out.
 */

/** GET /graphql as a browser; node:http, because fetch does not let a caller choose the Host header. */
function idePage(server: ServerProcess, host?: string): Promise<string> {
  const port = Number(new URL(server.baseUrl).port);
  return new Promise((resolve, reject) => {
    const request = httpGet({ host: "127.0.0.1", port, path: "/graphql", headers: { accept: "text/html", ...(host ? { host } : {}) } }, (response) => {
      expect(response.statusCode).toBe(200);
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve(body));
    });
    request.on("error", reject);
  });
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
    expect(await idePage(server, `localhost:${new URL(server.baseUrl).port}`)).toContain(key!);
  });

  it("is not given to a page that reached the server by another name (DNS rebinding)", async () => {
    // given
    server = await spawnServer({ HOST: "127.0.0.1" });
    const key = /ak_[A-Za-z0-9_-]{20,}/.exec(server.stdout())?.[0];
    expect(key).toBeDefined();

    // when another site's domain, pointed at 127.0.0.1, loads the IDE
    const html = await idePage(server, `attacker.example:${new URL(server.baseUrl).port}`);

    // then it gets the IDE without the key
    expect(html).toContain("Admin: applications");
    expect(html).not.toContain(key!);
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
