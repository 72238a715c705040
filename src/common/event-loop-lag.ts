/*
 * How long the current turn of the event loop has run. A flood of requests is read,
 * parsed and executed in one long turn (libuv keeps polling while sockets stay ready),
 * during which no timer and no setImmediate runs: the gap since the last heartbeat is how
 * long work still waiting in this turn has waited. One heartbeat per process, started on
 * first use; it does not keep the process alive.
 */

/** How often the heartbeat runs; while the loop is stuck in one turn it cannot, and the gap shows the lag. */
const HEARTBEAT_MS = 10;

let lastBeatAt = 0;
let heartbeat: NodeJS.Timeout | null = null;

function ensureHeartbeat(): void {
  if (heartbeat) return;
  lastBeatAt = performance.now();
  heartbeat = setInterval(() => {
    lastBeatAt = performance.now();
  }, HEARTBEAT_MS);
  heartbeat.unref();
}

/** How far the current turn of the event loop has overrun the heartbeat, in milliseconds. */
export function eventLoopLagMs(): number {
  ensureHeartbeat();
  return Math.max(0, performance.now() - lastBeatAt - HEARTBEAT_MS);
}
