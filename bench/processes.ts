/*
 * The servers under test as child processes: started pinned to their own CPU when
 * `taskset` exists, waited for, measured (resident memory of the whole process tree, so
 * a launcher such as tsx counts too) and stopped.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { delimiter, resolve } from "node:path";

/**
 * CPU 0 for the load generator, CPU 1 for the servers, on machines with two or more. Every
 * server process goes to CPU 1, the members of a group too: on two cores they share it.
 */
export const pinning = spawnSync("taskset", ["--version"]).status === 0 && availableParallelism() >= 2;

/** Moves this process (the load generator) onto CPU 0. */
export function pinSelfToLoadCpu(): void {
  if (pinning) spawnSync("taskset", ["-a", "-pc", "0", String(process.pid)], { stdio: "ignore" });
}

export interface TargetProcess {
  readonly name: string;
  readonly port: number;
  readonly origin: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Several server processes serving as one, on one shared database (PostgreSQL): the load
 * is split among their origins, and what is measured of them (memory, CPU, idleness) is
 * their sum, as it would be for one process doing the same work.
 */
export interface TargetGroup {
  readonly name: string;
  readonly members: readonly TargetProcess[];
}

/** What a scenario measures: one process, or a group of them. */
export type Target = TargetProcess | TargetGroup;

export const membersOf = (target: Target): readonly TargetProcess[] => ("members" in target ? target.members : [target]);
export const originsOf = (target: Target): string[] => membersOf(target).map((member) => member.origin);

export interface StartOptions {
  name: string;
  /** argv, or a shell command line (run with `exec`, so the pid is the program's own). */
  command: string[] | string;
  port: number;
  env: Record<string, string>;
  /** GET this path until it answers 2xx; without it, any HTTP answer means ready. */
  readyPath?: string;
  timeoutMs?: number;
}

const repoRoot = resolve(import.meta.dirname, "..");

export async function startTarget(options: StartOptions): Promise<TargetProcess> {
  // a command line that already execs (as package.json's scripts do) is run as it is: `exec exec …` fails in sh
  const argv = typeof options.command === "string" ? ["sh", "-c", /^exec\s/.test(options.command) ? options.command : `exec ${options.command}`] : options.command;
  const pinned = pinning ? ["taskset", "-c", "1", ...argv] : argv;
  const child = spawn(pinned[0]!, pinned.slice(1), {
    cwd: repoRoot,
    env: { ...process.env, PATH: `${resolve(repoRoot, "node_modules/.bin")}${delimiter}${process.env.PATH}`, ...options.env, PORT: String(options.port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const origin = `http://127.0.0.1:${options.port}`;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const target: TargetProcess = {
    name: options.name,
    port: options.port,
    origin,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode} before it was ready:\n${stderr}`);
    try {
      const response = await fetch(`${origin}${options.readyPath ?? "/"}`);
      await response.arrayBuffer();
      if (!options.readyPath || response.ok) return target;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  await target.stop();
  throw new Error(`${options.name} was not ready within ${(options.timeoutMs ?? 90_000) / 1000} s:\n${stderr}`);
}

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // gone, or no /proc
  }
}

/** The pid and every descendant (tsx runs the server in a child of its own). */
function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid …": comm may hold spaces, so read after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]!) ?? []));
  return tree;
}

/** Every pid of a target: each member's process tree. */
const pidsOf = (target: Target): number[] => membersOf(target).flatMap((member) => processTree(member.child.pid!));

/** Resident memory of the process tree(s) now, in MB. */
export function treeRssMb(target: Target): number {
  return pidsOf(target).reduce((sum, pid) => sum + statusField(pid, "VmRSS"), 0) / 1024;
}

/** Each process's lifetime peak (VmHWM), summed over the tree(s), in MB. */
export function treePeakMb(target: Target): number {
  return pidsOf(target).reduce((sum, pid) => sum + statusField(pid, "VmHWM"), 0) / 1024;
}

/** Linux's USER_HZ: the unit of /proc/PID/stat's times (100 on every mainstream kernel). */
export const CLOCK_TICKS_PER_SECOND = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** CPU time used so far by the process tree(s), in clock ticks (utime + stime). */
export function treeCpuTicks(target: Target): number {
  return cpuTicksOf(pidsOf(target));
}

/**
 * The same for any process tree on this machine, e.g. a local PostgreSQL server's (its
 * postmaster and every backend), with what the children that have exited used: the
 * root's cutime and cstime. Without them a backend that ends during the measurement
 * (a pool closing, a variant's database dropped) took its ticks with it, and the
 * difference could come out negative.
 */
export function pidTreeCpuTicks(root: number): number {
  return cpuTicksOf(processTree(root)) + reapedChildrenTicks(root);
}

/** One process's /proc/PID/stat fields from the state on (comm may hold spaces: read after the last ")"). */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null; // exited meanwhile
  }
}

function cpuTicksOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    if (fields) ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
  }
  return ticks;
}

function reapedChildrenTicks(pid: number): number {
  const fields = statFields(pid);
  return fields ? Number(fields[13]) + Number(fields[14]) : 0; // cutime, cstime
}

/**
 * Waits until a target has worked off what it still had queued when the load stopped
 * (a server keeps answering closed connections): otherwise its backlog would eat into
 * the next target's round on the same CPU. Idle: under 10 % of a CPU over a quarter second.
 */
export async function waitIdle(target: Target, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let before = treeCpuTicks(target);
  while (Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 250));
    const now = treeCpuTicks(target);
    if (now - before <= 2) return true; // 100 ticks a second: 2.5 ticks would be 10 %
    before = now;
  }
  return false;
}

/** Samples a target's resident memory until stopped; returns the largest sample in MB. */
export function sampleRss(target: Target, intervalMs = 250): { stop(): number } {
  let peak = treeRssMb(target);
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRssMb(target));
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, treeRssMb(target));
    },
  };
}
