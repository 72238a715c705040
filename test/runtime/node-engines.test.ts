import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import staticFiles from "@fastify/static";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../helpers/process.js";

/*
 * The project supports Node 20 (package.json engines). A dependency that declares a newer
 * Node makes `npm ci` print EBADENGINE and may use APIs Node 20 lacks; package.json pins
 * three of them with `overrides`. These tests keep such a package from coming back.
 */

// semver comes with npm's own dependency tree (no types of its own here).
const semver = createRequire(import.meta.url)("semver") as {
  satisfies(version: string, range: string, options?: { includePrerelease?: boolean }): boolean;
  minVersion(range: string): { version: string } | null;
  validRange(range: string): string | null;
};

interface InstalledPackage {
  path: string;
  name: string;
  version: string;
  engines?: { node?: string };
}

/** Every package installed under a node_modules folder, nested ones included. */
function installedPackages(nodeModules: string): InstalledPackage[] {
  const found: InstalledPackage[] = [];
  const visitPackage = (dir: string) => {
    let manifest: InstalledPackage;
    try {
      manifest = { ...JSON.parse(readFileSync(join(dir, "package.json"), "utf8")), path: dir };
    } catch {
      return; // a folder without a manifest (e.g. .bin)
    }
    found.push(manifest);
    visitFolder(join(dir, "node_modules"));
  };
  const visitFolder = (folder: string) => {
    let entries: string[];
    try {
      entries = readdirSync(folder);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith(".")) continue;
      if (entry.startsWith("@")) for (const scoped of readdirSync(join(folder, entry))) visitPackage(join(folder, entry, scoped));
      else visitPackage(join(folder, entry));
    }
  };
  visitFolder(nodeModules);
  return found;
}

describe("dependencies run on the Node this project supports", () => {
  it("no installed package declares an engines.node range that excludes the running Node", () => {
    // given
    const packages = installedPackages(join(projectRoot, "node_modules"));

    // when
    const excluding = packages
      .filter((pkg) => typeof pkg.engines?.node === "string" && !semver.satisfies(process.version, pkg.engines.node, { includePrerelease: true }))
      .map((pkg) => `${pkg.name}@${pkg.version} wants node ${pkg.engines!.node} (${pkg.path})`);

    // then
    expect(packages.length).toBeGreaterThan(100);
    expect(excluding).toEqual([]);
  });

  it("nor one that excludes the oldest Node the project's own engines field allows", () => {
    // given the lowest version package.json promises to run on
    const own = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { engines: { node: string } };
    const oldest = semver.minVersion(own.engines.node)!.version;
    const packages = installedPackages(join(projectRoot, "node_modules"));

    // when
    const excluding = packages
      .filter((pkg) => typeof pkg.engines?.node === "string" && semver.validRange(pkg.engines.node) && !semver.satisfies(oldest, pkg.engines.node, { includePrerelease: true }))
      .map((pkg) => `${pkg.name}@${pkg.version} wants node ${pkg.engines!.node}`);

    // then
    expect(excluding).toEqual([]);
  });

  it("the pinned content-disposition (via @fastify/static) and cookie (via light-my-request) do what their dependents call", async () => {
    // given: reply.download() names the file with content-disposition's create(); inject() with
    // cookies serialises them with cookie's stringifySetCookie()
    const app = Fastify();
    await app.register(staticFiles, { root: join(projectRoot, "schema"), serve: false });
    app.get("/file", (request, reply) => {
      reply.header("x-cookie-seen", request.headers.cookie ?? "");
      return reply.download("schema.graphql", "événements schema.graphql");
    });

    // when
    const response = await app.inject({ method: "GET", url: "/file", cookies: { session: "abc" } });
    await app.close();

    // then
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-disposition"]).toBe("attachment; filename=\"?v?nements schema.graphql\"; filename*=UTF-8''%C3%A9v%C3%A9nements%20schema.graphql");
    expect(response.headers["x-cookie-seen"]).toBe("session=abc");
    expect(response.body).toContain("type Query");
  });
});
