import type { Db, Tx } from "../../db/database.js";
import { eventLoopLagMs } from "../../common/event-loop-lag.js";

/*
 * Group commit for `register` on SQLite. With 50 clients registering, the profile's
 * largest entry after the statements were prepared was the commit itself: each
 * registration wrote its own copies of the same B-tree pages (the registrations table and
 * its indexes, the timeline, the outbox) to the WAL. Registrations that arrive within one
 * turn of the event loop now share one IMMEDIATE transaction, each inside its own
 * savepoint (db.savepoint): every one still decides on the latest state (the ones before
 * it in the batch included), a failing one is rolled back alone, and they all commit
 * together. A batch waits for at most the current turn of the loop; while that turn
 * overruns (a flood of reads keeps the loop polling, and setImmediate waits until it
 * stops), a registration commits at once with the ones already waiting instead.
 *
 * On PostgreSQL there is no batching: each registration runs in a transaction of its own.
 * There every registration locks its event's row (db.lockEvent) until it commits, and a
 * batch would hold the locks of all its events at once, taken in arrival order: two
 * processes whose batches take the same two events in opposite orders would each wait for
 * the other (a deadlock, or a lock timeout), and one slow event would hold up registrations
 * of unrelated events behind it. PostgreSQL's commits are also not a single writer's WAL
 * pages, so there is little to gain.
 */

/** Past this lag of the current loop turn, waiting for setImmediate would hold the answer hostage to the flood. */
const MAX_WAIT_MS = 20;

/** Bounds how long one transaction holds the write lock. */
const MAX_BATCH = 64;

/**
 * Reads shared by the registrations of one batch: what none of them can change (the
 * event's row, its criteria) is read once per transaction, not once per registration.
 * Only for reads of rows no registration writes: the write lock keeps every other writer
 * out until the batch commits, so a value read once stays true for the whole batch.
 * The read's Promise is kept, so registrations asking at the same time share one read; a
 * read that failed is forgotten, so the next one asks again.
 */
export class BatchReads {
  private readonly values = new Map<string, Promise<unknown>>();

  once<T>(key: string, read: () => Promise<T>): Promise<T> {
    const known = this.values.get(key);
    if (known) return known as Promise<T>;
    // Promise.resolve: on SQLite a query's promise may be a plain value (its driver is synchronous).
    const value = Promise.resolve(read());
    this.values.set(key, value);
    value.catch(() => {
      if (this.values.get(key) === value) this.values.delete(key);
    });
    return value;
  }
}

type Work<T> = (tx: Tx, reads: BatchReads) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

class GroupCommit {
  private readonly queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly db: Db) {}

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (eventLoopLagMs() > MAX_WAIT_MS) void this.flush();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (this.queue.length) this.schedule();
    if (!batch.length) return;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      await this.db.transaction(async (tx) => {
        outcomes.length = 0;
        const reads = new BatchReads();
        for (const pending of batch) {
          try {
            outcomes.push({ ok: true, value: await this.db.savepoint(tx, () => pending.work(tx, reads)) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // No turn on the writer within its wait, or BEGIN or COMMIT failed (the lock not had
      // within the busy timeout, a full disk): nothing was stored.
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }
}

const groups = new WeakMap<Db, GroupCommit>();

/**
 * Runs `work` in a write transaction: on SQLite shared with the other registrations of
 * this turn of the event loop, on PostgreSQL its own (see the top of this file).
 */
export function inGroupCommit<T>(db: Db, work: Work<T>): Promise<T> {
  if (db.dialect === "postgres") return db.transaction((tx) => work(tx, new BatchReads()));
  let group = groups.get(db);
  if (!group) groups.set(db, (group = new GroupCommit(db)));
  return group.run(work);
}
