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
  /**
   * PostgreSQL (when local): its server's CPU time per stored registration, all its
   * processes. On SQLite that work is inside serverCpuMsPerRegistration already.
   */
  databaseCpuMsPerRegistration?: number | null;
}

/** The "pg" part: S1 and S4 on PostgreSQL, with one API process and with two, beside SQLite. */
export interface PostgresPart {
  id: "pg";
  /** e.g. "PostgreSQL 15.20 at postgres@127.0.0.1:5432". */
  database: string;
  /** S1 in alternating rounds: this run's SQLite server, then each PostgreSQL variant. */
  s1: ThroughputScenario;
  /** S4 on each PostgreSQL variant, each on its own fresh database (SQLite's is Results.register). */
  s4: { target: string; result: RegisterScenario }[];
  notes: string[];
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
  postgres?: PostgresPart | null;
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
  // A partial run (BENCH_ONLY) may have no throughput scenario at all: no empty table then.
  if (results.throughput.length) lines.push("| scenario | target | req/s | p50 ms | p99 ms | peak RSS MB | this project ÷ target: req/s | : RSS | notes |");
  if (results.throughput.length) lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
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
  if (results.postgres) lines.push("", ...postgresMarkdown(results.postgres, results.register));
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

/** One column per server setup: SQLite (this run's S1 and S4), then each PostgreSQL variant. */
function postgresMarkdown(part: PostgresPart, sqliteRegister: RegisterScenario | null): string[] {
  const s1 = part.s1.targets;
  const sqliteS1 = s1[0];
  const s4 = [sqliteRegister, ...s1.slice(1).map((t) => part.s4.find((r) => r.target === t.target)?.result ?? null)];
  const row = (label: string, s1Cell: (t: TargetResult) => string, s4Cell: (r: RegisterScenario) => string) => ({ label, s1Cell, s4Cell });
  const s1Rows = [
    row("S1 req/s", (t) => int(t.requestsPerSecond), () => ""),
    row("S1 p50 / p99 ms", (t) => `${ms(t.p50Ms)} / ${ms(t.p99Ms)}`, () => ""),
    row("S1 ÷ SQLite", (t) => (sqliteS1?.requestsPerSecond ? times(t.requestsPerSecond / sqliteS1.requestsPerSecond) : ""), () => ""),
    row("S1 peak RSS MB (API processes)", (t) => int(t.peakRssMb), () => ""),
    row("S1 answer", (t) => [t.check, t.non2xx ? `${t.non2xx} non-2xx` : "", t.errors ? `${t.errors} errors` : ""].filter(Boolean).join("; "), () => ""),
  ];
  const s4Rows = [
    row("S4 successful registrations/s", () => "", (r) => int(r.successfulPerSecond)),
    row("S4 p50 / p99 ms", () => "", (r) => `${ms(r.p50Ms)} / ${ms(r.p99Ms)}`),
    row("S4 stored; seats held of capacity; waitlisted", () => "", (r) => `${int(r.stored)}; ${int(r.held)} of ${int(r.capacity)}; ${int(r.waitlisted)}`),
    row("S4 oversold (must be 0)", () => "", (r) => String(r.oversold)),
    row("S4 not stored (non-2xx, socket errors)", () => "", (r) => `${r.notStored} (${r.non2xx}, ${r.errors})`),
    row("S4 API CPU ms per registration", () => "", (r) => r.serverCpuMsPerRegistration.toFixed(3)),
    row("S4 PostgreSQL CPU ms per registration", () => "", (r) => (typeof r.databaseCpuMsPerRegistration === "number" ? r.databaseCpuMsPerRegistration.toFixed(3) : "–")),
  ];
  const lines = [`${part.database}, a fresh database per variant, side by side with SQLite in this run (S1 in alternating rounds):`, ""];
  lines.push(`| | ${s1.map((t) => t.target).join(" | ")} |`);
  lines.push(`| --- |${" ---: |".repeat(s1.length)}`);
  for (const r of s1Rows) lines.push(`| ${r.label} | ${s1.map(r.s1Cell).join(" | ")} |`);
  for (const r of s4Rows) lines.push(`| ${r.label} | ${s4.map((result) => (result ? r.s4Cell(result) : "not run")).join(" | ")} |`);
  for (const note of [...part.s1.notes, ...part.notes]) lines.push(`- ${note}`);
  return lines;
}

export function writeResults(path: string, results: Results): void {
  const withRatios = { ...results, throughput: results.throughput.map((scenario) => ({ ...scenario, ratios: ratios(scenario) })) };
  writeFileSync(path, `${JSON.stringify(withRatios, null, 2)}\n`);
}
