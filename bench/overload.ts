/*
 * The overload run: far more anonymous readers than the server can serve (2,000
 * connections asking S1 uncached, CPU-bound) while 50 clients register. Every request
 * must be answered: a read with data or a fast 503 + Retry-After, a registration with
 * its payload. Counted for both: answers by status, timeouts (no answer in time) and
 * connection errors; the registrations' latency; and, afterwards, whether the event
 * holds more seats than it has.
 *
 * Both load generators run in this one process, pinned to CPU 0. Its CPU time over the
 * run is reported: near 100 % of one CPU would mean the generator, not the server, set
 * the pace (then the run understates the load, it does not overstate the server).
 */
import { runLoad, summariseLatencies, type LoadRound } from "./load.js";
import { postRequest, REGISTER_MUTATION, type HttpRequest } from "./scenarios.js";

export interface OverloadSide {
  connections: number;
  /** Seconds a request may wait for an answer before it counts as unanswered. */
  timeoutS: number;
  requests: number;
  perSecond: number;
  statusCodes: Record<string, number>;
  /** Timeouts plus connection errors: requests that got no HTTP answer. */
  unanswered: number;
  timeouts: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

export interface OverloadScenario {
  id: string;
  title: string;
  seconds: number;
  readers: OverloadSide;
  registrations: OverloadSide & { successfulPerSecond: number };
  capacity: number;
  held: number;
  oversold: number;
  /** CPU time of the load generator over the run, in % of one CPU. */
  loadGeneratorCpuPercent: number;
  notes: string[];
}

export interface OverloadOptions {
  origin: string;
  read: HttpRequest;
  eventId: string;
  answers: unknown[];
  readers: number;
  registrants: number;
  durationS: number;
  /** Asks the admin API how many seats the event holds (the oversell check). */
  countSeats: () => Promise<{ capacity: number; held: number; stored: number }>;
  /** Waits until the server has worked off what it still had queued. */
  settle: () => Promise<void>;
}

function side(round: LoadRound, connections: number, timeoutS: number): OverloadSide {
  const latency = summariseLatencies(round.latenciesMs);
  return {
    connections,
    timeoutS,
    requests: round.requests,
    perSecond: round.requests / round.seconds,
    statusCodes: round.statusCodes,
    unanswered: round.errors,
    timeouts: round.timeouts,
    errors: round.errors - round.timeouts,
    p50Ms: latency.p50Ms,
    p99Ms: latency.p99Ms,
  };
}

let attendeeSerial = 0;

/** The admin read may itself be shed (503) while the server still lags: ask again a little later. */
async function patiently<T>(ask: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ask();
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((done) => setTimeout(done, 1000));
    }
  }
}

export async function overloadRun(options: OverloadOptions): Promise<OverloadScenario> {
  const before = await patiently(options.countSeats);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const readerTimeoutS = 30;
  const registrantTimeoutS = 10;
  const [reads, registrations] = await Promise.all([
    runLoad({ origin: options.origin, request: options.read, connections: options.readers, durationS: options.durationS, timeoutS: readerTimeoutS }),
    runLoad({
      origin: options.origin,
      request: postRequest(REGISTER_MUTATION),
      connections: options.registrants,
      durationS: options.durationS,
      timeoutS: registrantTimeoutS,
      setupBody: () => {
        attendeeSerial += 1;
        const attendee = { firstName: "Over", lastName: `Load${attendeeSerial}`, email: `overload${attendeeSerial}@clinic.example`, profession: "PSYCHIATRIST" };
        return JSON.stringify({ query: REGISTER_MUTATION, variables: { input: { eventId: options.eventId, eligibilityAnswers: options.answers, attendee } } });
      },
    }),
  ]);
  const elapsedS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await options.settle();
  const after = await patiently(options.countSeats);
  const registered = side(registrations, options.registrants, registrantTimeoutS);
  const ok = registrations.statusCodes["200"] ?? 0;
  const stored = after.stored - before.stored;
  const loadGeneratorCpuPercent = ((cpu.user + cpu.system) / 1e6 / elapsedS) * 100;
  const notes: string[] = [];
  if (loadGeneratorCpuPercent > 90) notes.push(`the load generator used ${loadGeneratorCpuPercent.toFixed(0)} % of its CPU: it, not the server, may have set the pace`);
  if (ok > stored) notes.push(`${ok - stored} registrations answered 200 were not stored (userErrors?)`);
  return {
    id: "overload",
    title: `${options.readers} anonymous readers (S1, uncached) while ${options.registrants} clients register`,
    seconds: reads.seconds,
    readers: side(reads, options.readers, readerTimeoutS),
    registrations: { ...registered, successfulPerSecond: Math.min(ok, stored) / registrations.seconds },
    capacity: after.capacity,
    held: after.held,
    oversold: Math.max(0, after.held - after.capacity),
    loadGeneratorCpuPercent,
    notes,
  };
}
