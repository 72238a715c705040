import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { spawnServer } from "../helpers/process.js";

const COUNT_EVENTS = JSON.stringify({ query: "query CountEvents { events { totalCount } }" });

/** Sends the first half of a POST body now; the returned function sends the rest and reads the response. */
function startSlowRequest(base: string): { finish(): Promise<{ status: number; body: string }> } {
  const body = Buffer.from(COUNT_EVENTS);
  const half = Math.floor(body.length / 2);
  let resolveResponse!: (value: { status: number; body: string }) => void;
  let rejectResponse!: (error: Error) => void;
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    resolveResponse = resolve;
    rejectResponse = reject;
  });
  const req = request(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json", "content-length": String(body.length) } }, (res) => {
    let text = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => (text += chunk));
    res.on("end", () => resolveResponse({ status: res.statusCode!, body: text }));
    res.on("error", rejectResponse);
  });
  req.on("error", rejectResponse);
  response.catch(() => {}); // awaited by finish(); an early failure must not go unhandled meanwhile
  req.write(body.subarray(0, half));
  return {
    finish() {
      req.end(body.subarray(half));
      return response;
    },
  };
}

describe("graceful shutdown on SIGTERM", () => {
  it("finishes the request in flight, refuses new ones, and exits 0", async () => {
    // given: a request whose body is half sent when the signal arrives
    const server = await spawnServer({ SEED_DEMO: "true" });
    try {
      const inFlight = startSlowRequest(server.baseUrl);
      await server.waitForLog((line) => line.msg === "incoming request" && line.req?.url === "/graphql");

      // when
      server.child.kill("SIGTERM");
      await server.waitForLog((line) => line.msg === "shutting down: finishing in-flight requests");
      const newRequest = await fetch(`${server.baseUrl}/healthz`).then(
        (response) => response.status,
        () => "refused",
      );
      const response = await inFlight.finish();
      const exit = await server.exited;

      // then
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ data: { events: { totalCount: 2 } } });
      expect(["refused", 503]).toContain(newRequest);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(server.stderr()).toBe("");
    } finally {
      await server.stop();
    }
  });

  it("exits 0 promptly when idle", async () => {
    // given
    const server = await spawnServer({ SEED_DEMO: "false" });
    try {
      const started = Date.now();

      // when
      server.child.kill("SIGTERM");
      const exit = await server.exited;

      // then
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await server.stop();
    }
  });
});
