import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { processAlive, spawnNpmScript, type NpmScriptProcess } from "../helpers/process.js";

/*
 * A process manager or a container runtime signals the process it started: `npm`. The
 * signal must reach the node process below it (npm → sh → node), which then shuts down
 * gracefully, and nothing of the tree may be left behind. The build that runs first
 * (prestart, preworker) has ended by then.
 */

const SERVER_READY = (line: { msg?: string }) => typeof line.msg === "string" && line.msg.startsWith("Server listening at http://127.0.0.1:");
const SERVER_STOPPING = "shutting down: finishing in-flight requests";
const WORKER_READY = "worker started";
const WORKER_STOPPING = "worker shutting down: finishing the current step";

/** Resolves true when something accepts a TCP connection on the port, false when refused. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** Polls until every pid is gone; resolves with the ones still alive after the deadline. */
async function survivorsAfter(pids: number[], deadlineMs: number): Promise<number[]> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until && pids.some(processAlive)) await new Promise((resolve) => setTimeout(resolve, 100));
  return pids.filter(processAlive);
}

let running: NpmScriptProcess | undefined;
afterEach(() => {
  running?.cleanUp();
  running = undefined;
});

describe("SIGTERM to the npm process", () => {
  it("`npm start`: the server shuts down gracefully, stops listening and leaves no process behind within 10 s", async () => {
    // given
    const npm = (running = spawnNpmScript("start"));
    // on a fresh clone `npm start` compiles src/ first (prestart): allow for a busy machine
    const ready = await npm.waitForLog(SERVER_READY, 180_000);
    const port = Number(/:(\d+)$/.exec(ready.msg!)![1]);
    const tree = npm.processTree();
    expect(tree.length).toBeGreaterThan(1);
    expect(await listening(port)).toBe(true);

    // when
    const signalled = Date.now();
    npm.child.kill("SIGTERM");
    const survivors = await survivorsAfter(tree, 10_000);
    const exit = await npm.exited;

    // then
    expect(survivors).toEqual([]);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(await listening(port)).toBe(false);
    // (the last lines may still be in the pipe when "exit" comes: read until they are in)
    expect((await npm.waitForLog((line) => line.msg === SERVER_STOPPING, 5_000)).msg).toBe(SERVER_STOPPING);
    expect(exit).toEqual({ code: 0, signal: null });
  }, 240_000);

  it("`npm run worker`: the worker finishes its step and exits, with its whole tree, within 10 s", async () => {
    // given
    const npm = (running = spawnNpmScript("worker", { WORKER_INTERVAL_MS: "200" }));
    await npm.waitForLog((line) => line.msg === WORKER_READY);
    const tree = npm.processTree();
    expect(tree.length).toBeGreaterThan(1);

    // when
    const signalled = Date.now();
    npm.child.kill("SIGTERM");
    const survivors = await survivorsAfter(tree, 10_000);
    const exit = await npm.exited;

    // then
    expect(survivors).toEqual([]);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    await npm.waitForLog((line) => line.msg === "worker stopped", 5_000);
    expect(npm.logs().map((line) => line.msg)).toEqual(expect.arrayContaining([WORKER_STOPPING, "worker stopped"]));
    expect(exit).toEqual({ code: 0, signal: null });
  }, 90_000);
});
