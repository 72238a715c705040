/*
 * The load generator: autocannon for throughput (every response's latency recorded, so
 * percentiles cover all rounds of a target, not an average of per-round percentiles),
 * and plain sequential fetches for per-request latency.
 */
import autocannon from "autocannon";
import type { HttpRequest } from "./scenarios.js";

export interface LoadRound {
  requests: number;
  seconds: number;
  latenciesMs: number[];
  non2xx: number;
  /** Connection errors, timeouts included (autocannon's count). */
  errors: number;
  timeouts: number;
  /** Responses by HTTP status. */
  statusCodes: Record<string, number>;
}

export interface LoadOptions {
  /** Several origins (processes serving one database): the connections are split evenly among them. */
  origin: string | readonly string[];
  request: HttpRequest;
  connections: number;
  durationS: number;
  /** Called for every request to build its body (S4 sends a new attendee each time). */
  setupBody?: () => string;
  /** Seconds a request may wait for its answer before it counts as a timeout (autocannon's default: 10). */
  timeoutS?: number;
}

export function runLoad(options: LoadOptions): Promise<LoadRound> {
  if (typeof options.origin === "string") return runOne({ ...options, origin: options.origin });
  if (options.origin.length === 1) return runOne({ ...options, origin: options.origin[0]! });
  return runSplit({ ...options, origin: options.origin });
}

/**
 * One autocannon per origin, all at once in this process (so on the load generator's one
 * CPU, as a single autocannon would be), each with its share of the connections; the
 * rounds are summed, as if one client had spread its connections over the origins.
 */
async function runSplit(options: LoadOptions & { origin: readonly string[] }): Promise<LoadRound> {
  const origins = options.origin;
  const share = (i: number) => Math.floor(options.connections / origins.length) + (i < options.connections % origins.length ? 1 : 0);
  const rounds = await Promise.all(origins.map((origin, i) => runOne({ ...options, origin, connections: share(i) })));
  const statusCodes: Record<string, number> = {};
  for (const round of rounds) for (const [status, n] of Object.entries(round.statusCodes)) statusCodes[status] = (statusCodes[status] ?? 0) + n;
  const sum = (pick: (round: LoadRound) => number) => rounds.reduce((total, round) => total + pick(round), 0);
  return {
    requests: sum((r) => r.requests),
    seconds: Math.max(...rounds.map((r) => r.seconds)),
    latenciesMs: rounds.flatMap((r) => r.latenciesMs),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    statusCodes,
  };
}

function runOne(options: LoadOptions & { origin: string }): Promise<LoadRound> {
  const latenciesMs: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${options.origin}${options.request.path}`,
        connections: options.connections,
        duration: options.durationS,
        ...(options.timeoutS ? { timeout: options.timeoutS } : {}),
        requests: [
          {
            method: options.request.method,
            headers: options.request.headers,
            body: options.request.body,
            ...(options.setupBody ? { setupRequest: (request: autocannon.Request) => ({ ...request, body: options.setupBody!() }) } : {}),
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          requests: result.requests.total,
          seconds: result.duration,
          latenciesMs,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, stats]) => [status, (stats as { count: number }).count])),
        });
      },
    );
    instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => latenciesMs.push(responseTime));
  });
}

export interface Sampled {
  n: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function summariseLatencies(latenciesMs: number[]): Sampled {
  const sorted = Float64Array.from(latenciesMs).sort();
  const list = Array.from(sorted);
  return { n: list.length, p50Ms: percentile(list, 50), p99Ms: percentile(list, 99), meanMs: list.reduce((a, b) => a + b, 0) / (list.length || 1) };
}

/** One request at a time, `count` times after `warmup` unmeasured ones. */
export async function sequentialLatency(origin: string, request: HttpRequest, count: number, warmup: number, check: (body: string) => void): Promise<Sampled> {
  const latencies: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const started = performance.now();
    const response = await fetch(`${origin}${request.path}`, { method: request.method, headers: request.headers, body: request.body });
    const body = await response.text();
    const elapsed = performance.now() - started;
    if (!response.ok) throw new Error(`${request.method} ${request.path} answered ${response.status}: ${body.slice(0, 300)}`);
    if (i === 0) check(body);
    if (i >= warmup) latencies.push(elapsed);
  }
  return summariseLatencies(latencies);
}
