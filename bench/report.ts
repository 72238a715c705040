import type { OverloadScenario } from "./overload.js";
/*
 * What a run found: bench/results.json for machines, a markdown table for people.
 */
import { writeFileSync } from "node:fs";
import { cpus, platform, release, totalmem } from "node:os";
import type { Sampled } from "./load.js";

export interface TargetResult {
  target: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** "ok", or how this target's answer differed from the project's. */
  check: string;
}

export interface ThroughputScenario {
  id: string;
  title: string;
  targets: TargetResult[];
  notes: string[];
}

export interface RegisterScenario {
  id: "S4";
  title: string;
  seconds: number;
  attempts: number;
  stored: number;
  successfulPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  capacity: number;
  held: number;
  waitlisted: number;
  oversold: number;
  /** 2xx answers within the window beyond what was stored (user errors, GraphQL errors). */
  notStored: number;
  non2xx: number;
  errors: number;
  /** The server process tree's CPU time (user + system) per stored registration. */
  serverCpuMsPerRegistration: number;
}

export interface GrowthRow {
  registrations: number;
  seedSeconds: number;
  adminList: Sampled;
  seatsRemaining: Sampled;
}

export interface GrowthScenario {
  id: "S5";
  title: string;
  requestsPerMeasurement: number;
  rows: GrowthRow[];
}

export type { OverloadScenario };

export interface Results {
  startedAt: string;
  totalSeconds: number;
  machine: { cpu: string; cpus: number; memoryGb: number; os: string; node: string; pinned: string };
  settings: Record<string, string | number | boolean>;
  throughput: ThroughputScenario[];
  register: RegisterScenario | null;
  overload?: OverloadScenario | null;
  growth: GrowthScenario | null;
  warnings: string[];
}

export function machine(pinned: boolean): Results["machine"] {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? "unknown",
    cpus: list.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
    pinned: pinned ? "load generator on CPU 0, servers on CPU 1 (taskset)" : "not pinned (no taskset or one CPU)",
  };
}

/** Within one run only: this project's throughput (and memory) over another target's. */
export function ratios(scenario: ThroughputScenario, base = "this project") {
  const project = scenario.targets.find((t) => t.target === base);
  const of = (name: string) => scenario.targets.find((t) => t.target === name);
  const divide = (a: number | undefined, b: number | undefined) => (a && b ? a / b : null);
  return {
    vsNaive: divide(project?.requestsPerSecond, of("naive Apollo")?.requestsPerSecond),
    vsRaw: divide(project?.requestsPerSecond, of("raw node:http")?.requestsPerSecond),
    rssVsNaive: divide(project?.peakRssMb, of("naive Apollo")?.peakRssMb),
  };
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : "–");
const times = (n: number | null) => (n === null ? "" : `${n.toFixed(2)}×`);

export function markdown(results: Results): string {
  const lines: string[] = [];
  const m = results.machine;
  lines.push(`npm run bench: ${m.cpus} × ${m.cpu}, ${m.memoryGb} GB, ${m.os}, Node ${m.node}; ${m.pinned}.`);
  lines.push(`${results.settings.connections} connections, ${results.settings.rounds} round(s) of ${results.settings.durationS} s per target, alternating; total ${Math.round(results.totalSeconds)} s.`);
  lines.push("");
  lines.push("| scenario | target | req/s | p50 ms | p99 ms | peak RSS MB | this project ÷ target: req/s | : RSS | notes |");
  lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const scenario of results.throughput) {
    const project = scenario.targets.find((t) => t.target === "this project");
    scenario.targets.forEach((t, i) => {
      const ratio = project && t !== project && t.requestsPerSecond ? times(project.requestsPerSecond / t.requestsPerSecond) : "";
      const rss = project && t !== project && t.peakRssMb ? times(project.peakRssMb / t.peakRssMb) : "";
      const problems = [t.check !== "ok" ? `check: ${t.check}` : "", t.non2xx ? `${t.non2xx} non-2xx` : "", t.errors ? `${t.errors} errors` : "", t.timeouts ? `${t.timeouts} timeouts` : ""].filter(Boolean);
      const notes = [...(i === 0 ? scenario.notes : []), ...problems].join("; ");
      lines.push(`| ${i === 0 ? `${scenario.id} ${scenario.title}` : ""} | ${t.target} | ${int(t.requestsPerSecond)} | ${ms(t.p50Ms)} | ${ms(t.p99Ms)} | ${int(t.peakRssMb)} | ${ratio} | ${rss} | ${notes} |`);
    });
    if (!scenario.targets.length) lines.push(`| ${scenario.id} ${scenario.title} | – | | | | | | | ${scenario.notes.join("; ")} |`);
  }
  const r = results.register;
  if (r) {
    lines.push("");
    lines.push(
      `S4 ${r.title}: ${int(r.successfulPerSecond)} successful registrations/s (${int(r.attempts)} answered in ${r.seconds.toFixed(0)} s, ${int(r.stored)} stored once the backlog finished), p50 ${ms(r.p50Ms)} ms, p99 ${ms(r.p99Ms)} ms; seats held ${int(r.held)} of ${int(r.capacity)}, waitlisted ${int(r.waitlisted)}; oversold: ${r.oversold}; not stored: ${r.notStored} (non-2xx ${r.non2xx}, socket errors ${r.errors}); server CPU ${r.serverCpuMsPerRegistration.toFixed(3)} ms per registration.`,
    );
  }
  const o = results.overload;
  if (o) {
    const side = (x: OverloadScenario["readers"]) =>
      `${int(x.requests)} answered (${Object.entries(x.statusCodes).map(([status, n]) => `${int(n)} × ${status}`).join(", ") || "none"}), p50 ${ms(x.p50Ms)} ms, p99 ${ms(x.p99Ms)} ms; unanswered: ${x.unanswered} (${x.timeouts} with no answer within ${x.timeoutS} s, ${x.errors} connection errors)`;
    lines.push("");
    lines.push(`Overload ${o.title}, ${o.seconds.toFixed(0)} s:`);
    lines.push(`- reads: ${side(o.readers)}`);
    lines.push(`- registrations: ${int(o.registrations.successfulPerSecond)} successful/s; ${side(o.registrations)}; seats held ${int(o.held)} of ${int(o.capacity)}, oversold: ${o.oversold}`);
    lines.push(`- load generator: ${o.loadGeneratorCpuPercent.toFixed(0)} % of its CPU${o.notes.length ? `; ${o.notes.join("; ")}` : ""}`);
  }
  const g = results.growth;
  if (g && g.rows.length) {
    lines.push("");
    lines.push(`S5 ${g.title} (${g.requestsPerMeasurement} sequential requests each, server restarted on each file)`);
    lines.push("");
    lines.push("| registrations of the event | admin list p50 ms | p99 ms | seatsRemaining p50 ms | p99 ms |");
    lines.push("| ---: | ---: | ---: | ---: | ---: |");
    for (const row of g.rows) lines.push(`| ${int(row.registrations)} | ${ms(row.adminList.p50Ms)} | ${ms(row.adminList.p99Ms)} | ${ms(row.seatsRemaining.p50Ms)} | ${ms(row.seatsRemaining.p99Ms)} |`);
    const first = g.rows[0]!;
    const last = g.rows[g.rows.length - 1]!;
    if (g.rows.length > 1) lines.push(`| ${int(last.registrations)} ÷ ${int(first.registrations)} | ${times(last.adminList.p50Ms / first.adminList.p50Ms)} | ${times(last.adminList.p99Ms / first.adminList.p99Ms)} | ${times(last.seatsRemaining.p50Ms / first.seatsRemaining.p50Ms)} | ${times(last.seatsRemaining.p99Ms / first.seatsRemaining.p99Ms)} |`);
  }
  if (results.warnings.length) {
    lines.push("");
    for (const warning of results.warnings) lines.push(`- warning: ${warning}`);
  }
  return lines.join("\n");
}

export function writeResults(path: string, results: Results): void {
  const withRatios = { ...results, throughput: results.throughput.map((scenario) => ({ ...scenario, ratios: ratios(scenario) })) };
  writeFileSync(path, `${JSON.stringify(withRatios, null, 2)}\n`);
}
