import { spawn, type ChildProcess } from "node:child_process";
import { collectJsonLog, projectRoot, type LogLine } from "./process.js";

export interface WorkerProcess {
  child: ChildProcess;
  /** Every JSON log line so far. */
  logs: LogLine[];
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: a crash, no clean-up of any kind. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/**
 * Starts `node dist/main.js worker` (what `npm run worker` runs) as a real process against
 * the given database, and resolves once it says it is running.
 */
export async function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ["--enable-source-maps", "dist/main.js", "worker"], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "test", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = collectJsonLog(child);
  const output = () => log.stdout() + log.stderr();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on("close", (code, signal) => done({ code, signal })));
  const deadline = Date.now() + 60_000;
  while (!output().includes("Worker running:")) {
    if (child.exitCode !== null) throw new Error(`the worker exited (code ${child.exitCode}) before running: ${output()}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the worker did not start within 60 s: ${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    logs: log.logs,
    output,
    exited,
    async kill() {
      if (alive()) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (alive()) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
