/*
 * npm run bench: the main scenarios side by side, against a real server in its own
 * process on a fresh SQLite file, with autocannon at 50 connections over loopback.
 * Machines are noisy: compare the ratios within one run, not numbers across runs.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const PORT = 20_000 + Math.floor(Math.random() * 20_000);
const ADMIN_KEY = `ak_bench_${"x".repeat(32)}`;
const url = `http://127.0.0.1:${PORT}/graphql`;

async function gql(query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data: any; errors?: unknown[] };
}

async function waitForServer(): Promise<void> {
  for (let i = 0; i < 120; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${PORT}/readyz`);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("the server did not start");
}

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: DURATION_S, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

const json = { "content-type": "application/json" };

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "events-bench-"));
  const server = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve"], {
    env: { ...process.env, PORT: String(PORT), DATABASE_URL: `file:${join(dir, "events.db")}`, MAIL_DIR: join(dir, "mail"), ADMIN_API_KEY: ADMIN_KEY, WORKER: "false", RATE_LIMITS: "off", LOG_LEVEL: "warn", NODE_ENV: "production", SEED_DEMO: "true" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    await waitForServer();
    const upcoming = await gql(`{ events(filter: { status: [PUBLISHED] }) { edges { node { id eligibilityCriteria { id } } } } }`);
    const event = upcoming.data.events.edges[0].node as { id: string; eligibilityCriteria: { id: string }[] };
    const CAPACITY = 1000;
    await gql(`mutation ($id: ID!, $input: EventInput!) { updateEvent(id: $id, input: $input) { userErrors { message } } }`, { id: event.id, input: await courseInputFor(event.id, CAPACITY) }, ADMIN_KEY);

    const rows: { scenario: string; requestsPerSecond: number; p99Ms: number; non2xx: number }[] = [];
    const record = (scenario: string, result: autocannon.Result) =>
      rows.push({ scenario, requestsPerSecond: Math.round(result.requests.average), p99Ms: result.latency.p99, non2xx: result.non2xx });

    record("baseline: { __typename }", await run({ url, method: "POST", headers: json, body: JSON.stringify({ query: "{ __typename }" }) }));
    record(
      "events list (20, sessions, venue, partners)",
      await run({ url, method: "POST", headers: json, body: JSON.stringify({ query: "{ events { edges { node { title startsAt seatsRemaining sessions { localStart timeZoneAbbreviation } venue { name } partners { roles organisation { name } } } } } }" }) }),
    );

    let n = 0;
    const answers = event.eligibilityCriteria.map((criterion) => ({ criterionId: criterion.id, met: true }));
    const registerQuery = "mutation ($input: RegisterInput!) { register(input: $input) { registration { status } userErrors { code } } }";
    const registerResult = await run({
      url,
      requests: [
        {
          method: "POST",
          headers: json,
          setupRequest: (request) => {
            n += 1;
            const input = { eventId: event.id, eligibilityAnswers: answers, attendee: { firstName: "Bench", lastName: `Mark${n}`, email: `bench${n}@clinic.example`, profession: "PSYCHIATRIST" } };
            return { ...request, body: JSON.stringify({ query: registerQuery, variables: { input } }) };
          },
        },
      ],
    });
    record("register (50 concurrent clients)", registerResult);

    const counts = await gql(
      `query ($id: ID!) { held: registrations(eventId: $id, status: [PENDING_REVIEW, AWAITING_PAYMENT, CONFIRMED]) { totalCount } waiting: registrations(eventId: $id, status: [WAITLISTED]) { totalCount } all: registrations(eventId: $id) { totalCount } }`,
      { id: event.id },
      ADMIN_KEY,
    );
    const held = counts.data.held.totalCount as number;
    const total = counts.data.all.totalCount as number;
    console.log(`\nnpm run bench — ${CONNECTIONS} connections, ${DURATION_S} s per scenario, SQLite (WAL), server in its own process\n`);
    console.table(rows);
    console.log(`register: ${total} registrations stored in ${DURATION_S} s = ${(total / DURATION_S).toFixed(0)} successful registrations/s`);
    console.log(`register: seats held ${held} of ${CAPACITY}, waitlisted ${counts.data.waiting.totalCount}; oversold: ${Math.max(0, held - CAPACITY)}`);
    console.log(`ratio register / baseline: ${(rows[2]!.requestsPerSecond / rows[0]!.requestsPerSecond).toFixed(2)}`);
    if (held > CAPACITY) process.exitCode = 1;
  } finally {
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The demo's upcoming run with a larger capacity, so the benchmark fills seats and the waitlist. */
async function courseInputFor(id: string, capacity: number) {
  const { data } = await gql(
    `query ($id: ID!) { event(id: $id) { slug title format timeZone venue { id } liveHours selfGuidedHours programmeLength price { amountMinor currency } sessions { title kind localStart localEnd } eligibilityCriteria { text required } } }`,
    { id },
  );
  const e = data.event;
  return {
    slug: e.slug,
    title: e.title,
    format: e.format,
    timeZone: e.timeZone,
    venueId: e.venue.id,
    capacity,
    priceMinor: e.price.amountMinor,
    currency: e.price.currency,
    sessions: e.sessions,
    eligibilityCriteria: e.eligibilityCriteria,
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
