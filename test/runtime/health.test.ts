import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("/healthz and /readyz", () => {
  let server: TestServer;
  let base: string;
  beforeAll(async () => {
    server = await startTestServer();
    base = new URL(server.url).origin;
  });
  afterAll(() => server.close());

  it("/healthz says the process is alive", async () => {
    // when
    const response = await fetch(`${base}/healthz`);

    // then
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("/readyz says the database answers", async () => {
    // when
    const response = await fetch(`${base}/readyz`);

    // then
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready" });
  });

  it("/readyz answers 503 when the database cannot be used, while /healthz stays up", async () => {
    // given
    const broken = await startTestServer();
    const brokenBase = new URL(broken.url).origin;
    await broken.app.deps.db.close();

    // when
    const ready = await fetch(`${brokenBase}/readyz`);
    const healthy = await fetch(`${brokenBase}/healthz`);

    // then
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "unavailable" });
    expect(healthy.status).toBe(200);
    await broken.close();
  });
});
