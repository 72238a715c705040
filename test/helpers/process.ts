import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freshPostgresDatabase, onPostgres } from "./test-database.js";

/**
 * The project root and the CLI, run the way `npm start` runs it: node on dist/, which the
 * suite's global setup builds from src/ (build.global.ts).
 */
export const projectRoot = resolve(import.meta.dirname, "../..");
const cli = [process.execPath, ["--enable-source-maps", join(projectRoot, "dist/main.js")]] as const;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for a child process: only what the test gives, plus PATH and HOME. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

/** Runs `node dist/main.js <args>` to completion in a fresh folder. */
export async function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<CliResult> {
  const dir = mkdtempSync(join(tmpdir(), "events-cli-"));
  try {
    const child = spawn(cli[0], [...cli[1], ...args], { cwd: dir, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => child.on("close", (c, s) => done([c, s])));
    clearTimeout(timer);
    return { code, signal, stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A structured (pino) log line of the server. */
export type LogLine = Record<string, any> & { msg?: string; reqId?: string };

export interface ServerProcess {
  child: ChildProcess;
  /** e.g. http://127.0.0.1:43123 */
  baseUrl: string;
  /** Every JSON log line so far. */
  logs: LogLine[];
  /** Resolves with the first log line (already seen or coming) that matches. */
  waitForLog(matches: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** Everything on stdout so far: the start banner and the JSON log lines. */
  stdout(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node dist/main.js serve` as a real process on a free port with its own database
 * (a SQLite file in its folder or, on the postgres project, a fresh PostgreSQL database,
 * unless `env` names one), and collects its structured log from stdout.
 */
export async function spawnServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "events-serve-"));
  const postgres = onPostgres && !env.DATABASE_URL ? await freshPostgresDatabase() : null;
  const child = spawn(cli[0], [...cli[1], "serve"], {
    cwd: dir,
    env: childEnv({ PORT: "0", HOST: "127.0.0.1", DATABASE_URL: postgres ? postgres.url : `file:${join(dir, "events.db")}`, MAIL_DIR: join(dir, "mail"), LOG_LEVEL: "info", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = collectJsonLog(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on("close", (code, signal) => done({ code, signal })));

  const waitForLog = (matches: (line: LogLine) => boolean, timeoutMs = 20_000) => output.waitForLog(matches, timeoutMs);

  const ready = await Promise.race([
    waitForLog((line) => typeof line.msg === "string" && line.msg.startsWith("Server listening at http://127.0.0.1:"), 60_000),
    exited.then(({ code }) => {
      throw new Error(`the server exited (code ${code}) before listening: ${output.stderr() || output.stdout()}`);
    }),
  ]);
  const baseUrl = /http:\/\/127\.0\.0\.1:\d+/.exec(ready.msg!)![0];

  return {
    child,
    baseUrl,
    logs: output.logs,
    waitForLog,
    exited,
    stderr: output.stderr,
    stdout: output.stdout,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await postgres?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface NpmScriptProcess {
  /** The `npm` process itself: what a process manager or a container runtime signals. */
  child: ChildProcess;
  /** stdout so far (banner lines and JSON log lines). */
  stdout(): string;
  stderr(): string;
  /** Every JSON log line so far. */
  logs(): LogLine[];
  /** Resolves with the first log line (already seen or coming) that matches. */
  waitForLog(matches: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The pids of npm and of every process below it (sh, node, esbuild…), as of now. */
  processTree(): number[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs whatever of the tree is still alive and removes the folder. */
  cleanUp(): void;
}

/** The parent pid of every process, read from /proc (Linux). */
function parentPids(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split after the last ")"
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // the process ended while we looked
    }
  }
  return parents;
}

/** Whether a pid still names a live process (a zombie waiting to be reaped counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * Runs `npm run <script>` from the project root (or another copy of the project), as an
 * operator or a container would, with its database and mail folder in a fresh temporary folder.
 */
export function spawnNpmScript(script: string, env: Record<string, string> = {}, options: { cwd?: string } = {}): NpmScriptProcess & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "events-npm-"));
  const child = spawn("npm", ["run", "--silent", script], {
    cwd: options.cwd ?? projectRoot,
    env: childEnv({ PORT: "0", HOST: "127.0.0.1", DATABASE_URL: `file:${join(dir, "events.db")}`, MAIL_DIR: join(dir, "mail"), LOG_LEVEL: "info", SEED_DEMO: "false", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = collectJsonLog(child);
  // "exit", not "close": a process left behind would keep the pipes open and hide npm's exit
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on("exit", (code, signal) => done({ code, signal })));
  let seenTree: number[] = [];

  return {
    dir,
    child,
    stdout: output.stdout,
    stderr: output.stderr,
    logs: () => output.logs,
    exited,
    waitForLog: (matches, timeoutMs = 60_000) => output.waitForLog(matches, timeoutMs),
    processTree() {
      const parents = parentPids();
      const tree = [child.pid!];
      for (let i = 0; i < tree.length; i++) {
        for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
      }
      seenTree = [...new Set([...seenTree, ...tree])];
      return tree;
    },
    cleanUp() {
      for (const pid of seenTree) {
        if (processAlive(pid)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A child's stdout and stderr as text, and its stdout's JSON (pino) lines as they come. */
export function collectJsonLog(child: ChildProcess) {
  const logs: LogLine[] = [];
  const waiters: { matches: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let stdoutText = "";
  let stderrText = "";
  let pending = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    stdoutText += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const text of lines) {
      if (!text.startsWith("{")) continue;
      let line: LogLine;
      try {
        line = JSON.parse(text);
      } catch {
        continue;
      }
      logs.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.matches(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => (stderrText += chunk.toString()));
  return {
    logs,
    stdout: () => stdoutText,
    stderr: () => stderrText,
    /** Resolves with the first line (already seen or coming) that matches. */
    waitForLog(matches: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
      const seen = logs.find(matches);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stdout: ${stdoutText}; stderr: ${stderrText}`)), timeoutMs);
        waiters.push({ matches, resolve: (line) => (clearTimeout(timer), resolveLine(line)) });
      });
    },
  };
}
