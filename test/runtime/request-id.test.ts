import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnServer, type ServerProcess } from "../helpers/process.js";

const COUNT_EVENTS = /* GraphQL */ `query CountEvents { events { totalCount } }`;

async function postGraphql(base: string, query: string, headers: Record<string, string> = {}) {
  return fetch(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query }) });
}

describe("request ids in responses and in the structured log", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer({ SEED_DEMO: "true" });
  });
  afterAll(() => server.stop());

  it("gives every response an x-request-id that names its log lines", async () => {
    // when
    const response = await postGraphql(server.baseUrl, COUNT_EVENTS);

    // then
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { events: { totalCount: number } } };
    expect(body.data.events.totalCount).toBe(2);
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const incoming = await server.waitForLog((line) => line.reqId === requestId && line.msg === "incoming request");
    const completed = await server.waitForLog((line) => line.reqId === requestId && line.msg === "request completed");
    expect(incoming).toMatchObject({ level: 30, req: { method: "POST", url: "/graphql" } });
    expect(completed).toMatchObject({ res: { statusCode: 200 } });
    expect(typeof completed.responseTime).toBe("number");
  });

  it("gives different requests different ids", async () => {
    // when
    const first = await fetch(`${server.baseUrl}/healthz`);
    const second = await fetch(`${server.baseUrl}/healthz`);

    // then
    expect(first.headers.get("x-request-id")).toBeTruthy();
    expect(second.headers.get("x-request-id")).toBeTruthy();
    expect(first.headers.get("x-request-id")).not.toBe(second.headers.get("x-request-id"));
  });

  it("keeps a caller's x-request-id so a trace can cross services", async () => {
    // when
    const response = await postGraphql(server.baseUrl, COUNT_EVENTS, { "x-request-id": "partner-trace-42" });

    // then
    expect(response.headers.get("x-request-id")).toBe("partner-trace-42");
    await server.waitForLog((line) => line.reqId === "partner-trace-42" && line.msg === "request completed");
  });

  it("never writes the Authorization header to the log", async () => {
    // when
    const response = await postGraphql(server.baseUrl, COUNT_EVENTS, { authorization: "Bearer ak_not-a-real-key-but-secret-looking" });
    const requestId = response.headers.get("x-request-id");
    await server.waitForLog((line) => line.reqId === requestId && line.msg === "request completed");

    // then
    expect(response.status).toBe(401);
    expect(JSON.stringify(server.logs)).not.toContain("ak_not-a-real-key-but-secret-looking");
  });
});
