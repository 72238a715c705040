import { describe, expect, it } from "vitest";
import { ReadQueue } from "../../src/server/read-queue.js";

/*
 * The read queue on the real event loop (setImmediate turns, performance.now): reads
 * beyond a turn's budget wait in arrival order and run in later turns; a read that waited
 * too long is shed instead; one whose client left is dropped; while connections are being
 * accepted, turns run no read. The overload benchmark (npm run bench) measures the effect
 * under 2,000 connections; these pin down the rules.
 */

/** Busy work that stands for executing a read (the queue only sees time pass). */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const nextTurn = () => new Promise<void>((done) => setTimeout(done, 0));

async function until(condition: () => boolean, turns = 200): Promise<void> {
  for (let turn = 0; turn < turns && !condition(); turn++) await nextTurn();
}

describe("the read queue", () => {
  it("runs reads at once while the turn has budget, then queues the rest and runs them in arrival order in later turns", async () => {
    // given
    const queue = new ReadQueue(5, 10_000);
    const ran: string[] = [];

    // when: one turn in which three reads arrive, the first using up the budget
    const atOnce = queue.mayRunNow();
    spin(6);
    const second = queue.mayRunNow();
    for (const name of ["b", "c"]) {
      queue.enqueue(
        () => {
          ran.push(name);
          spin(6);
          queueMicrotask(queue.next);
        },
        () => ran.push(`${name} shed`),
        () => false,
      );
    }
    const queuedInTurn = [...ran];
    await until(() => ran.length === 2);

    // then
    expect(atOnce).toBe(true);
    expect(second).toBe(false);
    expect(queuedInTurn).toEqual([]);
    expect(ran).toEqual(["b", "c"]);
    expect(queue.length).toBe(0);
  });

  it("sheds a read that waited longer than the limit instead of running it, and drops one whose client left", async () => {
    // given
    const queue = new ReadQueue(1, 20);
    const outcome: string[] = [];
    queue.mayRunNow();
    spin(2);
    queue.enqueue(() => outcome.push("gone ran"), () => outcome.push("gone shed"), () => true);
    queue.enqueue(() => outcome.push("late ran"), () => outcome.push("late shed"), () => false);

    // when: the turn overruns the limit before the queue gets its slice
    spin(25);
    await until(() => outcome.length === 1 && queue.length === 0);

    // then
    expect(outcome).toEqual(["late shed"]);
  });

  it("runs no waiting read in a turn that accepted a connection, for at most a bounded run of such turns", async () => {
    // given
    const queue = new ReadQueue(1, 10_000);
    let ran = 0;
    queue.mayRunNow();
    spin(2);
    queue.enqueue(() => ran++, () => {}, () => false);

    // when: connections keep arriving, turn after turn
    let acceptingTurns = 0;
    const startedAt = performance.now();
    while (ran === 0 && performance.now() - startedAt < 1_000) {
      queue.connectionAccepted();
      acceptingTurns++;
      await new Promise<void>((done) => setImmediate(done));
    }

    // then: the read waited while turns accepted, and ran after about 50 ms of them
    expect(ran).toBe(1);
    expect(acceptingTurns).toBeGreaterThan(1);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(45);
  });

  it("lets a read run at once again once nothing waits", async () => {
    // given
    const queue = new ReadQueue(1, 10_000);
    queue.mayRunNow();
    spin(2);
    let ran = false;
    queue.enqueue(() => (ran = true), () => {}, () => false);
    await until(() => ran);

    // when: a later turn
    await nextTurn();

    // then
    expect(queue.mayRunNow()).toBe(true);
  });
});
