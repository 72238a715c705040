import type { Db } from "../../db/client.js";
import { eventLoopLagMs } from "../../common/event-loop-lag.js";
import { writeTransaction, type WriteTx } from "../../db/write-transaction.js";

/*
 * Group commit for `register`. With 50 clients registering, the profile's largest entry
 * after the statements were prepared was the commit itself: each registration wrote its
 * own copies of the same B-tree pages (the registrations table and its indexes, the
 * timeline, the outbox) to the WAL. Registrations that arrive within one turn of the
 * event loop now share one IMMEDIATE transaction, each inside its own SAVEPOINT: every
 * one still decides on the latest state (the ones before it in the batch included), a
 * failing one is rolled back alone, and they all commit together. A batch waits for at
 * most the current turn of the loop; while that turn overruns (a flood of reads keeps the
 * loop polling, and setImmediate waits until it stops), a registration commits at once
 * with the ones already waiting instead.
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
 */
export class BatchReads {
  private readonly values = new Map<string, unknown>();

  once<T>(key: string, read: () => T): T {
    if (this.values.has(key)) return this.values.get(key) as T;
    const value = read();
    this.values.set(key, value);
    return value;
  }
}

interface Pending {
  work: (tx: WriteTx, reads: BatchReads) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

class GroupCommit {
  private readonly queue: Pending[] = [];
  private scheduled = false;
  private readonly savepoint;
  private readonly release;
  private readonly rollback;

  constructor(private readonly db: Db) {
    this.savepoint = db.$client.prepare("SAVEPOINT register_one");
    this.release = db.$client.prepare("RELEASE register_one");
    this.rollback = db.$client.prepare("ROLLBACK TO register_one");
  }

  run<T>(work: (tx: WriteTx, reads: BatchReads) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (eventLoopLagMs() > MAX_WAIT_MS) this.flush();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (this.queue.length) this.schedule();
    if (!batch.length) return;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      writeTransaction(this.db, (tx) => {
        outcomes.length = 0;
        const reads = new BatchReads();
        for (const pending of batch) {
          this.savepoint.run();
          try {
            outcomes.push({ ok: true, value: pending.work(tx, reads) });
          } catch (error) {
            this.rollback.run();
            outcomes.push({ ok: false, error });
          }
          this.release.run();
        }
      });
    } catch (error) {
      // BEGIN or COMMIT failed (the lock not had within the busy timeout, a full disk): nothing was stored.
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

/** Runs `work` in a write transaction shared with the other registrations of this turn of the event loop. */
export function inGroupCommit<T>(db: Db, work: (tx: WriteTx, reads: BatchReads) => T): Promise<T> {
  let group = groups.get(db);
  if (!group) groups.set(db, (group = new GroupCommit(db)));
  return group.run(work);
}
