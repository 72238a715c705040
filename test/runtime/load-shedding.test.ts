import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnServer, type ServerProcess } from "../helpers/process.js";

/*
 * Under overload the server answers GraphQL reads at once with 503 + Retry-After and
 * keeps taking registrations. A threshold of 0 ms of event-loop delay stands for a
 * lagging event loop: every read is shed, deterministically, while the real process
 * runs the real hooks.
 */

const EVENTS = /* GraphQL */ `query Events { events { totalCount } }`;
const REGISTER = /* GraphQL */ `mutation Register($input: RegisterInput!) { register(input: $input) { registration { status attendee { email } } userErrors { code message } } }`;

function post(base: string, body: unknown) {
  return fetch(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
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
    server = await spawnServer({ DATABASE_URL: `file:${join(dir, "events.db")}`, SEED_DEMO: "true", RATE_LIMITS: "off", WORKER: "false", OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: "0", OVERLOAD_RETRY_AFTER_S: "7" });
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
    expect(response.headers.get("retry-after")).toBe("7");
    expect(response.headers.get("x-request-id")).toBeTruthy();
    expect(await response.json()).toEqual({
      errors: [{ message: "The server is overloaded; retry in 7 s.", extensions: { code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 7 } }],
    });
    await server.waitForLog((line) => line.level === 40 && /^overloaded/.test(line.msg ?? ""));
  });

  it("sheds GET reads too", async () => {
    // when
    const response = await fetch(`${server.baseUrl}/graphql?query=${encodeURIComponent(EVENTS)}`, { headers: { "apollo-require-preflight": "true" } });

    // then
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("7");
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

  it("keeps /healthz and /readyz answering", async () => {
    // when
    const health = await fetch(`${server.baseUrl}/healthz`);
    const ready = await fetch(`${server.baseUrl}/readyz`);

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
    servers = await Promise.all([spawnServer({ SEED_DEMO: "true", WORKER: "false" }), spawnServer({ SEED_DEMO: "true", WORKER: "false", OVERLOAD_SHEDDING: "off", OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: "0" })]);

    for (const server of servers) {
      // when
      const response = await post(server.baseUrl, { query: EVENTS });

      // then
      expect(response.status).toBe(200);
      expect(((await response.json()) as any).data.events.totalCount).toBe(2);
    }
  });
});
