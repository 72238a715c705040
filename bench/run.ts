/*
 * npm run bench: this project side by side with a naive Apollo Server 5 and a raw
 * node:http ceiling over the same SQLite data, plus `register` under load (S4) and the
 * growth of admin reads with the number of registrations (S5). The server under test is
 * started the way `npm start` starts it. Machines are noisy: compare the ratios within
 * one run, not numbers across runs.
 *
 *   BENCH_QUICK=1        smoke run (about a minute): 1 s rounds, small S5 files
 *   BENCH_DURATION=5     seconds per round          BENCH_ROUNDS=2   rounds per target
 *   BENCH_CONNECTIONS=50                            BENCH_S5_SIZES=1000,100000,1000000
 *   BENCH_SERVER_CMD     how to start the server (default: package.json's "start")
 *   BENCH_OVERLOAD_S=60  seconds of the overload run (quick: 10)   BENCH_OVERLOAD_READERS=2000
 *   BENCH_ONLY=S4,overload  only these parts (S1 = S1/S2/S3 side by side, S4, overload,
 *                        cached = S1/S2 cached, S5, pg = S1 and S4 on PostgreSQL with one
 *                        and with two API processes); results.json is then a partial run
 *   BENCH_POSTGRES_URL   the PostgreSQL server of the pg part (default postgres://postgres@127.0.0.1:5432/postgres);
 *                        unreachable: the part is skipped with a warning
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { overloadRun, type OverloadScenario } from "./overload.js";
import { runLoad, sequentialLatency, summariseLatencies, type LoadRound } from "./load.js";
import { createFreshDatabase, POSTGRES_URL, postgresAddress, probePostgres, type FreshDatabase, type PostgresServer } from "./postgres.js";
import {
  pinning,
  treeCpuTicks,
  CLOCK_TICKS_PER_SECOND,
  membersOf,
  originsOf,
  pidTreeCpuTicks,
  pinSelfToLoadCpu,
  sampleRss,
  startTarget,
  treePeakMb,
  waitIdle,
  type Target,
  type TargetProcess,
} from "./processes.js";
import { machine, markdown, writeResults, type GrowthRow, type PostgresPart, type RegisterScenario, type Results, type TargetResult, type ThroughputScenario } from "./report.js";
import {
  ADMIN_REGISTRATIONS_QUERY,
  EVENT_DETAIL_QUERY,
  EVENT_LIST_QUERY,
  REGISTER_MUTATION,
  SEATS_REMAINING_QUERY,
  persistedGetRequest,
  persistedRegisterRequest,
  postRequest,
  requestKey,
  type HttpRequest,
} from "./scenarios.js";
import { createBenchEvents } from "./seed-events.js";
import { seedRegistrations } from "./seed-registrations.js";

const root = resolve(import.meta.dirname, "..");
const QUICK = process.env.BENCH_QUICK === "1";
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_S = Number(process.env.BENCH_DURATION ?? (QUICK ? 2 : 5));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 2));
const WARMUP_S = QUICK ? 1 : 2;
const S3_EVENTS = 100;
const S4_CAPACITY = 1000;
const S5_SIZES = (process.env.BENCH_S5_SIZES ?? (QUICK ? "1000,10000" : "1000,100000,1000000")).split(",").map(Number);
const S5_REQUESTS = QUICK ? 50 : 200;
const OVERLOAD_S = Number(process.env.BENCH_OVERLOAD_S ?? (QUICK ? 10 : 60));
const OVERLOAD_READERS = Number(process.env.BENCH_OVERLOAD_READERS ?? 2000);
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(",").map((part) => part.trim())) : null;
const wanted = (part: "S1" | "S4" | "overload" | "cached" | "S5" | "pg") => !ONLY || ONLY.has(part);
const scripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts as Record<string, string>;
/**
 * The one place that says how the server starts: package.json's "start" (or BENCH_SERVER_CMD).
 * Run without npm in between, so npm's own process is not counted in the server's memory;
 * a "prestart" script (e.g. a build) runs once first, as `npm start` would run it.
 */
const SERVER_CMD = process.env.BENCH_SERVER_CMD ?? scripts.start!;
const ADMIN_KEY = `ak_bench_${"x".repeat(32)}`;
// Below Linux's ephemeral range (32768 and up): the overload run's 2,000 client sockets
// take ports there, and a server restarted later could find its port held by one.
const PORT_BASE = 20_000 + Math.floor(Math.random() * 12_000);
const PROJECT = "this project";
const NAIVE = "naive Apollo";
const RAW = "raw node:http";

const warnings: string[] = [];
const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

async function send(origin: string, request: HttpRequest): Promise<{ status: number; contentType: string; body: string }> {
  const response = await fetch(`${origin}${request.path}`, { method: request.method, headers: request.headers, body: request.body });
  return { status: response.status, contentType: response.headers.get("content-type") ?? "application/json", body: await response.text() };
}

function gqlAt(origin: string) {
  return async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
    const { body } = await send(origin, postRequest(query, variables, token));
    return JSON.parse(body) as { data: any; errors?: unknown[] };
  };
}

/**
 * The first path where two answers differ, or null: a baseline must answer what the project
 * answers. Values under `ignored` keys are not compared (ids: each database makes its own).
 */
function difference(expected: unknown, actual: unknown, path = "data", ignored: ReadonlySet<string> = new Set()): string | null {
  if (typeof expected !== typeof actual || Array.isArray(expected) !== Array.isArray(actual) || (expected === null) !== (actual === null)) {
    return `${path}: expected ${JSON.stringify(expected)?.slice(0, 80)}, got ${JSON.stringify(actual)?.slice(0, 80)}`;
  }
  if (expected && typeof expected === "object") {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual as object)]);
    for (const key of keys) {
      if (ignored.has(key)) continue;
      const found = difference((expected as any)[key], (actual as any)[key], `${path}.${key}`, ignored);
      if (found) return found;
    }
    return null;
  }
  return expected === actual ? null : `${path}: expected ${JSON.stringify(expected)?.slice(0, 80)}, got ${JSON.stringify(actual)?.slice(0, 80)}`;
}

/** Asks a target (each process of a group) once and compares its data with the project's answer. */
async function check(target: Target, request: HttpRequest, expected: string, ignored?: ReadonlySet<string>): Promise<string> {
  for (const origin of originsOf(target)) {
    const found = await checkOrigin(origin, request, expected, ignored);
    if (found !== "ok") return membersOf(target).length > 1 ? `${origin}: ${found}` : found;
  }
  return "ok";
}

async function checkOrigin(origin: string, request: HttpRequest, expected: string, ignored?: ReadonlySet<string>): Promise<string> {
  try {
    const answer = await send(origin, request);
    if (answer.status !== 200) return `HTTP ${answer.status}: ${answer.body.slice(0, 120)}`;
    const parsed = JSON.parse(answer.body);
    if (parsed.errors) return `errors: ${JSON.stringify(parsed.errors).slice(0, 160)}`;
    return difference(JSON.parse(expected).data, parsed.data, "data", ignored) ?? "ok";
  } catch (error) {
    return `failed: ${(error as Error).message}`;
  }
}

async function settle(target: Target): Promise<void> {
  if (!(await waitIdle(target))) warnings.push(`${target.name} was still busy 60 s after a round: the next round shared its CPU`);
}

interface Contender {
  target: Target;
  /** The row's name when not the target's own (the same server, measured again beside others). */
  label?: string;
  request: HttpRequest;
  check: string;
}

/** Warm every target up, then alternate rounds between them so drift hits all alike. */
async function compare(id: string, title: string, contenders: Contender[], notes: string[] = []): Promise<ThroughputScenario> {
  const nameOf = (c: Contender) => c.label ?? c.target.name;
  log(`${id} ${title}: ${contenders.map(nameOf).join(", ")}`);
  for (const c of contenders) {
    await runLoad({ origin: originsOf(c.target), request: c.request, connections: CONNECTIONS, durationS: WARMUP_S });
    await settle(c.target);
  }
  const rounds = new Map<Contender, LoadRound[]>(contenders.map((c) => [c, []]));
  const peaks = new Map<Contender, number>(contenders.map((c) => [c, 0]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of contenders) {
      const sampler = sampleRss(c.target);
      rounds.get(c)!.push(await runLoad({ origin: originsOf(c.target), request: c.request, connections: CONNECTIONS, durationS: DURATION_S }));
      await settle(c.target);
      peaks.set(c, Math.max(peaks.get(c)!, sampler.stop()));
    }
  }
  const targets: TargetResult[] = contenders.map((c) => {
    const list = rounds.get(c)!;
    const sum = (pick: (r: LoadRound) => number) => list.reduce((total, r) => total + pick(r), 0);
    const latency = summariseLatencies(list.flatMap((r) => r.latenciesMs));
    return {
      target: nameOf(c),
      requestsPerSecond: sum((r) => r.requests) / sum((r) => r.seconds),
      p50Ms: latency.p50Ms,
      p99Ms: latency.p99Ms,
      peakRssMb: peaks.get(c)!,
      requests: sum((r) => r.requests),
      non2xx: sum((r) => r.non2xx),
      errors: sum((r) => r.errors),
      timeouts: sum((r) => r.timeouts),
      check: c.check,
    };
  });
  for (const t of targets) if (!t.requests) notes.push(`${t.target}: no response completed within a round (is the machine overloaded? try a longer BENCH_DURATION)`);
  return { id, title, targets, notes };
}

function serverEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: `file:${join(dir, "events.db")}`,
    MAIL_DIR: join(dir, "mail"),
    ADMIN_API_KEY: ADMIN_KEY,
    WORKER: "false",
    RATE_LIMITS: "off",
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    SEED_DEMO: "true",
    ...extra,
  };
}

const startProject = (dir: string, port: number, extra: Record<string, string> = {}, name = PROJECT) =>
  startTarget({ name, command: SERVER_CMD, port, env: serverEnv(dir, extra), readyPath: "/readyz" });

async function main() {
  const started = performance.now();
  pinSelfToLoadCpu();
  const dir = mkdtempSync(join(tmpdir(), "events-bench-"));
  const databasePath = join(dir, "events.db");
  const running: TargetProcess[] = [];
  const results: Results = {
    startedAt: new Date().toISOString(),
    totalSeconds: 0,
    machine: machine(pinning),
    settings: { quick: QUICK, connections: CONNECTIONS, durationS: DURATION_S, rounds: ROUNDS, warmupS: WARMUP_S, serverCommand: SERVER_CMD, s3Events: S3_EVENTS, s5Sizes: S5_SIZES.join(","), s5Requests: S5_REQUESTS, overloadSeconds: OVERLOAD_S, overloadReaders: OVERLOAD_READERS },
    throughput: [],
    register: null,
    overload: null,
    growth: null,
    warnings,
  };
  const stopAll = async () => {
    await Promise.all(running.splice(0).map((t) => t.stop()));
  };
  try {
    if (!process.env.BENCH_SERVER_CMD && scripts.prestart) {
      log("npm run prestart");
      const prestart = spawnSync("npm", ["run", "prestart"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
      if (prestart.status !== 0) throw new Error("npm run prestart failed");
    }
    log(`server under test: ${SERVER_CMD} (data in ${dir})`);
    // The real server migrates the file and loads the demo course (SEED_DEMO) on its first start.
    const project = await startProject(dir, PORT_BASE, { RESPONSE_CACHE: "off" });
    running.push(project);
    const gql = gqlAt(project.origin);
    const upcoming = await gql(`{ events(filter: { status: [PUBLISHED] }) { edges { node { id slug } } } }`);
    const demo = upcoming.data.events.edges[0].node as { id: string; slug: string };
    log(`creating ${S3_EVENTS} published events through the admin API`);
    const benchEvents = await createBenchEvents(gql, ADMIN_KEY, demo.id, S3_EVENTS, S4_CAPACITY);

    const s1 = postRequest(EVENT_DETAIL_QUERY, { slug: demo.slug });
    const s3 = postRequest(EVENT_LIST_QUERY);
    const s2 = persistedGetRequest(EVENT_DETAIL_QUERY, { slug: demo.slug });
    const s1Answer = await send(project.origin, s1);
    const s3Answer = await send(project.origin, s3);
    for (const [name, answer] of [["S1", s1Answer], ["S3", s3Answer]] as const) {
      if (answer.status !== 200 || JSON.parse(answer.body).errors) throw new Error(`${name}: the server answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    }
    const listed = JSON.parse(s3Answer.body).data.events.edges.length as number;
    const total = JSON.parse(s3Answer.body).data.events.totalCount as number;
    if (listed < 50) warnings.push(`S3 listed only ${listed} events`);

    /** S2 counts only where the persisted GET answers with data; otherwise the target is "unsupported". */
    const persistedSupport = async (target: TargetProcess): Promise<string> => {
      try {
        const registered = await send(target.origin, persistedRegisterRequest(EVENT_DETAIL_QUERY, { slug: demo.slug }));
        const answer = await send(target.origin, s2);
        if (registered.status !== 200 || answer.status !== 200) return `unsupported (HTTP ${registered.status}/${answer.status}: ${answer.body.slice(0, 120)})`;
        const parsed = JSON.parse(answer.body);
        if (parsed.errors || !parsed.data?.event) return `unsupported (${JSON.stringify(parsed.errors).slice(0, 120)})`;
        return difference(JSON.parse(s1Answer.body).data, parsed.data) ?? "ok";
      } catch (error) {
        return `unsupported (${(error as Error).message})`;
      }
    };
    const s2Project = await persistedSupport(project);
    const s2Answer = s2Project.startsWith("unsupported") ? null : await send(project.origin, s2);

    // The ceiling replays the project's own bytes.
    const capturedPath = join(dir, "raw-responses.json");
    const captured = [
      { request: s1, answer: s1Answer },
      { request: s3, answer: s3Answer },
      ...(s2Answer ? [{ request: s2, answer: s2Answer }] : []),
    ].map(({ request, answer }) => ({ key: requestKey(request), contentType: answer.contentType, body: answer.body }));
    writeFileSync(capturedPath, JSON.stringify(captured));
    if (wanted("S1")) {
      const tsNode = [process.execPath, "--import", "tsx"];
      const naive = await startTarget({ name: NAIVE, command: [...tsNode, "bench/targets/naive-apollo.ts"], port: PORT_BASE + 1, env: { DATABASE_PATH: databasePath, NODE_ENV: "production" } });
      running.push(naive);
      const raw = await startTarget({ name: RAW, command: [...tsNode, "bench/targets/raw-http.ts"], port: PORT_BASE + 2, env: { RAW_RESPONSES: capturedPath, NODE_ENV: "production" } });
      running.push(raw);

      const s1Checks = { naive: await check(naive, s1, s1Answer.body), raw: await check(raw, s1, s1Answer.body) };
      const s3Checks = { naive: await check(naive, s3, s3Answer.body), raw: await check(raw, s3, s3Answer.body) };
      for (const [scenario, checks] of [["S1", s1Checks], ["S3", s3Checks]] as const) {
        for (const [name, result] of Object.entries(checks)) if (result !== "ok") warnings.push(`${scenario} ${name} answers differently from this project: ${result}`);
      }

      results.throughput.push(
        await compare("S1", "event detail by slug, anonymous POST, RESPONSE_CACHE=off", [
          { target: project, request: s1, check: "ok" },
          { target: naive, request: s1, check: s1Checks.naive },
          { target: raw, request: s1, check: s1Checks.raw },
        ]),
      );

      results.throughput[0]!.notes.push(`this project's VmHWM (lifetime peak, process tree) after S1: ${Math.round(treePeakMb(project))} MB`);

      const s2Naive = await persistedSupport(naive);
      const s2Contenders: Contender[] = [
        ...(s2Answer ? [{ target: project, request: s2, check: s2Project }] : []),
        ...(s2Naive.startsWith("unsupported") ? [] : [{ target: naive, request: s2, check: s2Naive }]),
        ...(s2Answer ? [{ target: raw, request: s2, check: await check(raw, s2, s2Answer.body) }] : []),
      ];
      const s2Notes = [s2Answer ? "" : `this project: ${s2Project}`, s2Naive.startsWith("unsupported") ? `naive Apollo: ${s2Naive}` : ""].filter(Boolean);
      results.throughput.push(
        s2Answer || s2Contenders.length
          ? await compare("S2", "S1 as an automatic-persisted-query GET", s2Contenders, s2Notes)
          : { id: "S2", title: "S1 as an automatic-persisted-query GET", targets: [], notes: s2Notes },
      );

      results.throughput.push(
        await compare("S3", `events(first: 50) with sessions, venue, partners (${listed} of ${total} events)`, [
          { target: project, request: s3, check: "ok" },
          { target: naive, request: s3, check: s3Checks.naive },
          { target: raw, request: s3, check: s3Checks.raw },
        ]),
      );
      await Promise.all([naive.stop(), raw.stop()]);
      running.splice(running.indexOf(naive), 1);
      running.splice(running.indexOf(raw), 1);
    }

    if (wanted("S4")) results.register = await registerUnderLoad(project, benchEvents[0]!.id);
    // The pg part measures this SQLite server's S1 again, in rounds alternating with
    // PostgreSQL's: before the overload run, whose 2,000 connections would leave it a larger heap.
    if (wanted("pg")) results.postgres = await postgresPartOrWarning(project, s1, s1Answer.body, dir);
    if (wanted("overload")) results.overload = await overloadUnderReads(project, benchEvents[1]!.id, s1);
    await project.stop();
    running.splice(running.indexOf(project), 1);

    if (wanted("cached")) {
      // S1 cached: the server's default environment.
      const cached = await startProject(dir, PORT_BASE + 3);
      running.push(cached);
      const s1Cached = await compare("S1 cached", "(same query, server default env)", [{ target: cached, request: s1, check: await check(cached, s1, s1Answer.body) }]);
      const uncached = results.throughput.find((scenario) => scenario.id === "S1")?.targets[0];
      if (uncached?.requestsPerSecond && s1Cached.targets[0]!.requestsPerSecond) {
        const gain = s1Cached.targets[0]!.requestsPerSecond / uncached.requestsPerSecond;
        s1Cached.notes.push(`${gain.toFixed(2)}× S1 uncached`);
        // Within noise of the uncached run: the server does not cache responses (yet).
        if (gain < 1.2) s1Cached.notes.push("no gain over S1: response caching isn't built yet");
      }
      results.throughput.splice(1, 0, s1Cached);
      // S2 as a CDN-friendly client would meet it: the server's default environment (cache on).
      if (s2Answer) {
        // A new process: its persisted-query store is empty until the client registers the hash.
        await send(cached.origin, persistedRegisterRequest(EVENT_DETAIL_QUERY, { slug: demo.slug }));
        const s2Cached = await compare("S2 cached", "S1 as an automatic-persisted-query GET, server default env", [{ target: cached, request: s2, check: await check(cached, s2, s2Answer.body) }]);
        if (uncached?.requestsPerSecond && s2Cached.targets[0]!.requestsPerSecond) s2Cached.notes.push(`${(s2Cached.targets[0]!.requestsPerSecond / uncached.requestsPerSecond).toFixed(2)}× S1 uncached`);
        results.throughput.splice(3, 0, s2Cached);
      }
      await cached.stop();
      running.splice(running.indexOf(cached), 1);
    }

    if (wanted("S5")) results.growth = await growth(dir, databasePath, demo.slug);
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
  results.totalSeconds = (performance.now() - started) / 1000;
  // A partial run (BENCH_ONLY) never replaces the full run's results.
  const resultsFile = ONLY ? "bench/results.partial.json" : "bench/results.json";
  writeResults(join(root, resultsFile), results);
  console.log(`\n${markdown(results)}\n\nwritten: ${resultsFile}`);
  const oversold = [results.register, ...(results.postgres?.s4.map((s4) => s4.result) ?? [])].some((s4) => s4 && s4.oversold > 0);
  if (oversold) process.exitCode = 1;
}

/**
 * S4: 50 clients registering new attendees as fast as they can; then count what was stored.
 * A group of processes gets the clients split among them. `databaseCpuTicks`: PostgreSQL's
 * CPU, whose work SQLite does inside the server process.
 */
async function registerUnderLoad(project: Target, eventId: string, databaseCpuTicks?: () => number): Promise<RegisterScenario> {
  // The probe and the counts ask the first process: on one shared database each sees every write.
  const gql = gqlAt(originsOf(project)[0]!);
  const split = membersOf(project).length > 1 ? `, split across ${membersOf(project).length} processes` : "";
  const { data } = await gql("query ($id: ID!) { event(id: $id) { eligibilityCriteria { id } } }", { id: eventId });
  const answers = data.event.eligibilityCriteria.map((criterion: { id: string }) => ({ criterionId: criterion.id, met: true }));
  const attendee = (n: number) => ({ firstName: "Bench", lastName: `Mark${n}`, email: `bench${n}@clinic.example`, profession: "PSYCHIATRIST" });
  const probe = await gql(REGISTER_MUTATION, { input: { eventId, eligibilityAnswers: answers, attendee: attendee(0) } });
  if (!probe.data?.register?.registration) warnings.push(`S4: a single register stored nothing: ${JSON.stringify(probe).slice(0, 300)}`);
  let n = 0;
  const seconds = DURATION_S * ROUNDS;
  log(`S4 register at ${CONNECTIONS} clients for ${seconds} s (${project.name}${split})`);
  const ticksBefore = treeCpuTicks(project);
  const databaseTicksBefore = databaseCpuTicks?.() ?? 0;
  const result = await runLoad({
    origin: originsOf(project),
    request: postRequest(REGISTER_MUTATION),
    connections: CONNECTIONS,
    durationS: seconds,
    setupBody: () => {
      n += 1;
      const input = { eventId, eligibilityAnswers: answers, attendee: attendee(n) };
      return JSON.stringify({ query: REGISTER_MUTATION, variables: { input } });
    },
  });
  // Requests still queued when the clients stopped finish now; only then are the counts final.
  await settle(project);
  const serverCpuMs = ((treeCpuTicks(project) - ticksBefore) * 1000) / CLOCK_TICKS_PER_SECOND;
  const databaseCpuMs = databaseCpuTicks ? ((databaseCpuTicks() - databaseTicksBefore) * 1000) / CLOCK_TICKS_PER_SECOND : null;
  const counts = await gql(
    `query ($id: ID!) { event(id: $id) { capacity } held: registrations(eventId: $id, status: [PENDING_REVIEW, AWAITING_PAYMENT, CONFIRMED]) { totalCount } waiting: registrations(eventId: $id, status: [WAITLISTED]) { totalCount } all: registrations(eventId: $id) { totalCount } }`,
    { id: eventId },
    ADMIN_KEY,
  );
  const held = counts.data.held.totalCount as number;
  const stored = (counts.data.all.totalCount as number) - (probe.data?.register?.registration ? 1 : 0);
  const latency = summariseLatencies(result.latenciesMs);
  // Successful within the window: answered in time (2xx) and stored; the backlog finished after it does not count.
  const answered = result.requests - result.non2xx;
  return {
    id: "S4",
    title: `register at ${CONNECTIONS} concurrent clients${split}`,
    seconds: result.seconds,
    attempts: result.requests,
    stored,
    successfulPerSecond: Math.min(answered, stored) / result.seconds,
    // The server's own CPU per stored registration: unlike the rate, it barely moves when
    // something else on the machine takes the server's core for a while.
    serverCpuMsPerRegistration: serverCpuMs / Math.max(1, stored),
    ...(databaseCpuMs === null ? {} : { databaseCpuMsPerRegistration: databaseCpuMs / Math.max(1, stored) }),
    p50Ms: latency.p50Ms,
    p99Ms: latency.p99Ms,
    capacity: counts.data.event.capacity,
    held,
    waitlisted: counts.data.waiting.totalCount,
    oversold: Math.max(0, held - counts.data.event.capacity),
    notStored: Math.max(0, answered - stored),
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

const PG_ONE = "PostgreSQL, 1 process";
const PG_TWO = "PostgreSQL, 2 processes";
/** The ids in an answer are each database's own ULIDs: everything else must match SQLite's answer. */
const IDS = new Set(["id"]);

/**
 * The pg part, with a failure of it turned into a warning (and a failed exit): a run must
 * not lose its SQLite results to it. An unreachable PostgreSQL only skips the part.
 */
async function postgresPartOrWarning(sqlite: TargetProcess, s1: HttpRequest, s1Answer: string, dir: string): Promise<PostgresPart | null> {
  const server = await probePostgres();
  if (typeof server === "string") {
    const warning = `pg part skipped: PostgreSQL at ${postgresAddress(POSTGRES_URL)} is unreachable (${server}); BENCH_POSTGRES_URL names another server`;
    log(warning);
    warnings.push(warning);
    return null;
  }
  try {
    return await postgresPart(server, sqlite, s1, s1Answer, dir);
  } catch (error) {
    warnings.push(`pg part failed: ${(error as Error).message}`);
    process.exitCode = 1;
    return null;
  }
}

interface PostgresVariant {
  target: Target;
  /** The S4 event: a copy of the demo course with S4_CAPACITY seats, as on SQLite. */
  s4EventId: string;
  check: string;
}

/**
 * S1 and S4 on PostgreSQL with one API process, and with two on one database, beside this
 * run's SQLite server: S1 in alternating rounds with it, S4 on each variant's own event.
 * Every variant has a fresh database of its own, dropped at the end.
 */
async function postgresPart(server: PostgresServer, sqlite: TargetProcess, s1: HttpRequest, s1Answer: string, dir: string): Promise<PostgresPart> {
  const databases: FreshDatabase[] = [];
  const started: TargetProcess[] = [];
  try {
    const startVariant = async (name: string, processes: number, port: number): Promise<PostgresVariant> => {
      const database = await createFreshDatabase(`events_bench_${processes}p`);
      databases.push(database);
      log(`${name}: database ${database.name}`);
      // Started together, as a deploy starts them: migrations and the demo seed are safe to race.
      const members = await Promise.all(
        Array.from({ length: processes }, (_, i) => startProject(dir, port + i, { RESPONSE_CACHE: "off", DATABASE_URL: database.url }, processes > 1 ? `${name} #${i + 1}` : name)),
      );
      started.push(...members);
      const target: Target = processes > 1 ? { name, members } : members[0]!;
      return { target, s4EventId: await createS4Event(originsOf(target)[0]!), check: await check(target, s1, s1Answer, IDS) };
    };
    const variants = [await startVariant(PG_ONE, 1, PORT_BASE + 20), await startVariant(PG_TWO, 2, PORT_BASE + 21)];
    for (const v of variants) if (v.check !== "ok") warnings.push(`S1 on ${v.target.name} answers differently from SQLite (ids aside): ${v.check}`);

    const s1Scenario = await compare("S1", "event detail by slug, anonymous POST, RESPONSE_CACHE=off: SQLite and PostgreSQL", [
      { target: sqlite, label: "SQLite, 1 process", request: s1, check: "ok" },
      ...variants.map((v) => ({ target: v.target, request: s1, check: v.check })),
    ]);
    const databaseCpuTicks = server.postmasterPid === null ? undefined : () => pidTreeCpuTicks(server.postmasterPid!);
    const s4: PostgresPart["s4"] = [];
    for (const v of variants) s4.push({ target: v.target.name, result: await registerUnderLoad(v.target, v.s4EventId, databaseCpuTicks) });
    return { id: "pg", database: `${server.version} at ${postgresAddress(POSTGRES_URL)}`, s1: s1Scenario, s4, notes: postgresNotes(server) };
  } finally {
    await Promise.all(started.map((target) => target.stop()));
    for (const database of databases) await database.drop().catch((error) => warnings.push(`pg: could not drop database ${database.name}: ${(error as Error).message}`));
  }
}

/** The demo course copied once, as createBenchEvents copies it for S4 on SQLite. */
async function createS4Event(origin: string): Promise<string> {
  const gql = gqlAt(origin);
  const upcoming = await gql(`{ events(filter: { status: [PUBLISHED] }) { edges { node { id } } } }`);
  const demoId = upcoming.data?.events?.edges?.[0]?.node?.id;
  if (!demoId) throw new Error(`no demo event on PostgreSQL: ${JSON.stringify(upcoming).slice(0, 300)}`);
  const [event] = await createBenchEvents(gql, ADMIN_KEY, demoId, 1, S4_CAPACITY);
  return event!.id;
}

/** What a reader of the pg numbers must know to compare them with SQLite's. */
function postgresNotes(server: PostgresServer): string[] {
  return [
    pinning
      ? "every API process is pinned to CPU 1 as the SQLite server is, both of the 2-process variant too: they share that one core, so it shows what a second process on one database costs and that seats hold across processes, not how a second core would scale; PostgreSQL's own processes are not pinned (either CPU, beside the load generator on CPU 0)"
      : "not pinned: load generator, API processes and PostgreSQL share every CPU",
    `2 processes: the load generator splits its ${CONNECTIONS} connections evenly between the two origins (two autocannons at once, in its one process); req/s and registrations/s are the sum of both, peak RSS and API CPU both processes' sum`,
    `each process as \`npm start\` starts it (DATABASE_POOL_SIZE default, 10; WORKER=false, RATE_LIMITS=off, one ADMIN_API_KEY); synchronous_commit=${server.synchronousCommit} (SQLite: synchronous=NORMAL)`,
    server.postmasterPid === null
      ? "PostgreSQL CPU not measured: the server does not run on this machine"
      : "PostgreSQL CPU: every process of the server, whatever database it serves (on SQLite this work is in the API CPU)",
  ];
}

/** 2,000 readers of S1 (uncached: CPU-bound) while 50 clients register for another event. */
async function overloadUnderReads(project: TargetProcess, eventId: string, read: HttpRequest): Promise<OverloadScenario> {
  const gql = gqlAt(project.origin);
  const { data } = await gql("query ($id: ID!) { event(id: $id) { eligibilityCriteria { id } } }", { id: eventId });
  log(`overload: ${OVERLOAD_READERS} readers while ${CONNECTIONS} clients register, ${OVERLOAD_S} s`);
  return overloadRun({
    origin: project.origin,
    read,
    eventId,
    answers: data.event.eligibilityCriteria.map((criterion: { id: string }) => ({ criterionId: criterion.id, met: true })),
    readers: OVERLOAD_READERS,
    registrants: CONNECTIONS,
    durationS: OVERLOAD_S,
    settle: () => settle(project),
    countSeats: async () => {
      const counts = await gql(
        `query ($id: ID!) { event(id: $id) { capacity } held: registrations(eventId: $id, status: [PENDING_REVIEW, AWAITING_PAYMENT, CONFIRMED]) { totalCount } all: registrations(eventId: $id) { totalCount } }`,
        { id: eventId },
        ADMIN_KEY,
      );
      return { capacity: counts.data.event.capacity, held: counts.data.held.totalCount, stored: counts.data.all.totalCount };
    },
  });
}

/** S5: one event's admin list and seatsRemaining as its registrations grow; the server restarted on each file. */
async function growth(dir: string, databasePath: string, slug: string): Promise<Results["growth"]> {
  const rows: GrowthRow[] = [];
  for (const [i, size] of S5_SIZES.entries()) {
    log(`S5 seeding the event up to ${size.toLocaleString("en-US")} registrations`);
    const seeded = seedRegistrations(databasePath, slug, size);
    // One request at a time: nothing to shed, and a moment the shared machine stalls the server must not turn a latency sample into a 503.
    const server = await startProject(dir, PORT_BASE + 10 + i, { RESPONSE_CACHE: "off", OVERLOAD_SHEDDING: "off" });
    try {
      const list = postRequest(ADMIN_REGISTRATIONS_QUERY, { eventId: seeded.eventId }, ADMIN_KEY);
      const seats = postRequest(SEATS_REMAINING_QUERY, { slug });
      const adminList = await sequentialLatency(server.origin, list, S5_REQUESTS, 20, (body) => {
        const total = JSON.parse(body).data?.registrations?.totalCount;
        if (total !== seeded.total) warnings.push(`S5 at ${size}: totalCount ${total}, expected ${seeded.total}: ${body.slice(0, 200)}`);
      });
      const seatsRemaining = await sequentialLatency(server.origin, seats, S5_REQUESTS, 20, (body) => {
        if (typeof JSON.parse(body).data?.event?.seatsRemaining !== "number") warnings.push(`S5 at ${size}: no seatsRemaining: ${body.slice(0, 200)}`);
      });
      rows.push({ registrations: seeded.total, seedSeconds: seeded.seconds, adminList, seatsRemaining });
    } finally {
      await server.stop();
    }
  }
  return { id: "S5", title: "admin registrations(first: 20) with totalCount, and seatsRemaining, by registrations of the event", requestsPerMeasurement: S5_REQUESTS, rows };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
