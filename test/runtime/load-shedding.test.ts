// SQLite only: the server process runs on a SQLite file of its own, which the test reads directly (its reads over HTTP are shed).
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnServer, type ServerProcess } from "../helpers/process.js";

/*
 * Under overload the server answers GraphQL reads at once with 503 + Retry-After and
 * keeps taking registrations. A read wait of 0 ms stands for a queue that is too long:
 * every read is shed, deterministically, while the real process runs the real hooks.
 * A shed connection is not read again until Retry-After has passed, so each request here
 * opens its own connection unless the test is about that.
 */

const EVENTS = /* GraphQL */ `query Events { events { totalCount } }`;
const REGISTER = /* GraphQL */ `mutation Register($input: RegisterInput!) { register(input: $input) { registration { status attendee { email } } userErrors { code message } } }`;

/** A request on a connection of its own (closed after the answer), as a Response. */
function onNewConnection(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: init.method ?? "GET", headers: init.headers, agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === "string") headers.set(name, value);
        resolve(new Response(Buffer.concat(chunks), { status: incoming.statusCode, headers }));
      });
    });
    outgoing.on("error", reject);
    outgoing.end(init.body);
  });
}

function post(base: string, body: unknown) {
  return onNewConnection(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** Two POSTs on one connection, the second sent as soon as the first is answered: when each answer came. */
function twoOnOneConnection(base: string, body: unknown): Promise<{ status: number; afterMs: number }[]> {
  const { hostname, port } = new URL(base);
  const payload = JSON.stringify(body);
  const message = `POST /graphql HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const answers: { status: number; afterMs: number }[] = [];
    let received = "";
    const socket = connect(Number(port), hostname, () => socket.write(message));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
      while (answers.length < statuses.length) answers.push({ status: statuses[answers.length]!, afterMs: performance.now() - started });
      if (answers.length === 1 && statuses.length === 1) socket.write(message);
      if (answers.length >= 2) {
        socket.destroy();
        resolve(answers);
      }
    });
    socket.on("error", reject);
  });
}

interface OpenEvent {
  id: string;
  answers: { criterionId: string; met: boolean }[];
}

/** The demo's upcoming run, read from the server's database file (reads over HTTP are shed). */
function openEvent(databasePath: string): OpenEvent {
  const db = new Database(databasePath, { readonly: true });
  try {
    const event = db.prepare("SELECT id FROM events WHERE status = 'PUBLISHED' ORDER BY starts_at DESC LIMIT 1").get() as { id: string };
    const criteria = db.prepare("SELECT id FROM eligibility_criteria WHERE event_id = ?").all(event.id) as { id: string }[];
    return { id: event.id, answers: criteria.map((criterion) => ({ criterionId: criterion.id, met: true })) };
  } finally {
    db.close();
  }
}

function registerInput(event: OpenEvent, email: string) {
  return { eventId: event.id, eligibilityAnswers: event.answers, attendee: { firstName: "Ada", lastName: "Lovelace", email, profession: "PSYCHIATRIST" } };
}

describe("load shedding while the event loop lags", () => {
  let dir: string;
  let server: ServerProcess;
  let event: OpenEvent;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "events-shedding-"));
    server = await spawnServer({ DATABASE_URL: `file:${join(dir, "events.db")}`, SEED_DEMO: "true", RATE_LIMITS: "off", WORKER: "false", OVERLOAD_MAX_READ_WAIT_MS: "0", OVERLOAD_RETRY_AFTER_S: "2" });
    event = openEvent(join(dir, "events.db"));
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers a read at once with 503, Retry-After and a GraphQL error body", async () => {
    // when
    const response = await post(server.baseUrl, { query: EVENTS });

    // then
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("2");
    expect(response.headers.get("x-request-id")).toBeTruthy();
    expect(await response.json()).toEqual({
      errors: [{ message: "The server is overloaded; retry in 2 s.", extensions: { code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 2 } }],
    });
    await server.waitForLog((line) => line.level === 40 && /^overloaded/.test(line.msg ?? ""));
  });

  it("sheds GET reads too", async () => {
    // when
    const response = await onNewConnection(`${server.baseUrl}/graphql?query=${encodeURIComponent(EVENTS)}`, { headers: { "apollo-require-preflight": "true" } });

    // then
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("2");
  });

  it("still takes registrations, and stores them", async () => {
    // when
    const response = await post(server.baseUrl, { query: REGISTER, variables: { input: registerInput(event, "ada.shed@clinic.example") } });

    // then
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body.errors).toBeUndefined();
    expect(body.data.register.userErrors).toEqual([]);
    expect(body.data.register.registration.attendee.email).toBe("ada.shed@clinic.example");
    const db = new Database(join(dir, "events.db"), { readonly: true });
    const stored = db.prepare("SELECT COUNT(*) AS n FROM registrations WHERE email = ?").get("ada.shed@clinic.example") as { n: number };
    db.close();
    expect(stored.n).toBe(1);
  });

  it("tells the operation a document runs by its operationName", async () => {
    // given
    const document = `${EVENTS}\n${REGISTER}`;

    // when
    const asRead = await post(server.baseUrl, { query: document, operationName: "Events" });
    const asWrite = await post(server.baseUrl, { query: document, operationName: "Register", variables: { input: registerInput(event, "grace.shed@clinic.example") } });

    // then
    expect(asRead.status).toBe(503);
    expect(asWrite.status).toBe(200);
    expect(((await asWrite.json()) as any).data.register.registration.attendee.email).toBe("grace.shed@clinic.example");
  });

  it("does not read a shed connection again until Retry-After has (mostly) passed", async () => {
    // when
    const [first, second] = await twoOnOneConnection(server.baseUrl, { query: EVENTS });

    // then: parked for 50-100 % of the 2 s Retry-After (jittered), then read and answered
    expect(first!.status).toBe(503);
    expect(second!.status).toBe(503);
    expect(second!.afterMs - first!.afterMs).toBeGreaterThanOrEqual(950);
  });

  it("keeps /healthz and /readyz answering", async () => {
    // when
    const health = await onNewConnection(`${server.baseUrl}/healthz`);
    const ready = await onNewConnection(`${server.baseUrl}/readyz`);

    // then
    expect(health.status).toBe(200);
    expect(ready.status).toBe(200);
  });
});

describe("load shedding at rest and switched off", () => {
  let servers: ServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it("serves reads when the loop keeps up (default threshold) and when OVERLOAD_SHEDDING=off", async () => {
    // given
    servers = await Promise.all([spawnServer({ SEED_DEMO: "true", WORKER: "false" }), spawnServer({ SEED_DEMO: "true", WORKER: "false", OVERLOAD_SHEDDING: "off", OVERLOAD_MAX_READ_WAIT_MS: "0" })]);

    for (const server of servers) {
      // when
      const response = await post(server.baseUrl, { query: EVENTS });

      // then
      expect(response.status).toBe(200);
      expect(((await response.json()) as any).data.events.totalCount).toBe(2);
    }
  });
});
