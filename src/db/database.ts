import { AsyncLocalStorage } from "node:async_hooks";
import type { SQL } from "drizzle-orm";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type * as schema from "./schema.js";

/*
 * The one data-access interface of the services. Two implementations: sqlite.ts
 * (better-sqlite3) and postgres.ts (node-postgres), both through drizzle. Services are
 * written once, async, against drizzle's SQLite query builders in their async form (so a
 * missing `await` is a type error); postgres.ts gives PostgreSQL's builders the same
 * `get`/`all`/`run`. Every SQL difference between the dialects lives in src/db/.
 */

export type Dialect = "sqlite" | "postgres";

type Builders = BaseSQLiteDatabase<"async", RunResult, typeof schema>;

/** What `.run()` answers on both dialects. */
export interface RunResult {
  changes: number;
}

/** The queries anyone may run: reads. Outside a transaction they see the latest commit. */
export type Reads = Pick<Builders, "select" | "selectDistinct" | "$with" | "$count">;

/** A transaction's handle: reads and writes, all inside the one transaction. */
export type Tx = Reads & Pick<Builders, "insert" | "update" | "delete"> & { readonly [inTransaction]: true };
declare const inTransaction: unique symbol;

export interface TransactionOptions {
  /**
   * PostgreSQL: how long a statement may wait for a row lock (the event's, taken by
   * lockEvent) before the transaction fails with EventBusyError. SQLite waits for its
   * single writer instead.
   */
  lockTimeoutMs?: number;
}

export interface Db extends Reads {
  readonly dialect: Dialect;
  /**
   * Runs `body` in one transaction and commits it, or rolls it back when `body` throws.
   * SQLite: on the one writer connection, behind an in-process queue, with BEGIN IMMEDIATE
   * (the write lock is taken before anything is read, across processes too).
   * PostgreSQL: READ COMMITTED; a body that changes seats or a registration's state first
   * calls `lockEvent`. Inside `body`, use `tx` only: with the guard (transactionScopeOf)
   * the root handle throws, as does a nested transaction. No network I/O inside a body:
   * it would hold the writer. Waiting for a turn (SQLite's writer, a pooled connection)
   * longer than MAX_WAIT_MS fails with EventBusyError.
   */
  transaction<T>(body: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** A savepoint inside `tx`: `body`'s writes are undone alone when it throws (then rethrown). */
  savepoint<T>(tx: Tx, body: () => Promise<T>): Promise<T>;
  /**
   * Locks the event's row for the rest of `tx` and returns it as it is now.
   * PostgreSQL: SELECT … FOR NO KEY UPDATE (foreign keys to the event stay free), so
   * every seat-changing transaction of one event runs one at a time in every process.
   * SQLite: BEGIN IMMEDIATE already holds the database's write lock; this only reads.
   */
  lockEvent(tx: Tx, eventId: string): Promise<typeof schema.events.$inferSelect | undefined>;
  /**
   * The rows `query` selects, locked for `tx` and skipped by every other transaction that
   * claims them meanwhile (PostgreSQL: FOR UPDATE SKIP LOCKED). Outbox claims use it so
   * workers in several processes take disjoint batches. SQLite: the write lock does it.
   */
  claimRows<Q extends PromiseLike<unknown[]>>(query: Q): Q;
  /** Raw SQL's rows, as the driver gives them (column names as written, driver values). */
  rows<T>(query: SQL, tx?: Tx): Promise<T[]>;
  /** Transactions this process committed: a cheap version for the response cache (data-version.ts). */
  readonly commits: number;
  /** Called after every commit of another process that this one hears of (PostgreSQL: LISTEN). */
  onForeignCommit(listener: () => void): void;
  close(): Promise<void>;
}

/* ----------------------------------------------------------- transaction guard */

const transactionScope = new AsyncLocalStorage<true>();

/** Runs `body` marked as a transaction body: the root handle and nested transactions refuse it. */
export function inTransactionScope<T>(body: () => Promise<T>): Promise<T> {
  return transactionScope.run(true, body);
}

const unmarked = <T>(body: () => Promise<T>): Promise<T> => body();

/**
 * How a Db runs its bodies: marked (the guard), or as they are. Once any AsyncLocalStorage
 * has run, Node 20 calls a promise hook for every promise the process makes, about 190
 * per registration request: with the guard, a registration took 0.54 ms of CPU instead of
 * 0.47 (BENCH_ONLY=S4, side by side). So the guard is on in development and in the tests,
 * which exercise every body, and production turns it off (TRANSACTION_GUARD). Without it
 * those mistakes are no longer detected: a root read runs outside the transaction, a
 * nested transaction on PostgreSQL takes a second connection and commits on its own, a
 * send inside a body holds the writer. What stays bounded is the wait: a nested
 * transaction on SQLite (which would wait forever for the body awaiting it), or on a
 * PostgreSQL pool left without a free connection, fails at MAX_WAIT_MS.
 */
export function transactionScopeOf(options: { transactionGuard?: boolean }): <T>(body: () => Promise<T>) => Promise<T> {
  return options.transactionGuard === false ? unmarked : inTransactionScope;
}

/**
 * How long a transaction waits for its turn (SQLite: the writer; PostgreSQL: a pooled
 * connection) before EventBusyError. Far above any wait under load (1,000 concurrent
 * changes in one process drain in seconds), as connection pools bound theirs (HikariCP's
 * 30 s): it ends what would otherwise wait forever, not a burst.
 */
export const MAX_WAIT_MS = 30_000;

export function insideTransaction(): boolean {
  return transactionScope.getStore() === true;
}

/** The root handle's guard: a query on it inside a body would run outside the transaction. */
export function assertOutsideTransaction(what: string): void {
  if (transactionScope.getStore() === true) {
    throw new Error(`${what} inside a transaction body: use the body's tx (the root handle runs outside the transaction and, on SQLite, would wait for the writer it is holding).`);
  }
}

/** The root handle's reads, each refused inside a transaction body (both dialects' Db use it). */
export function guardedReads(reads: Reads): Reads {
  const guard = <K extends keyof Reads>(name: K): Reads[K] =>
    ((...args: unknown[]) => {
      assertOutsideTransaction(`db.${name}()`);
      return (reads[name] as (...a: unknown[]) => unknown)(...args);
    }) as Reads[K];
  return { select: guard("select"), selectDistinct: guard("selectDistinct"), $with: guard("$with"), $count: guard("$count") };
}

export function nestedTransactionRefused(): Error {
  return new Error("Nested transactions are refused: the body already runs in one (use db.savepoint for a part that may fail alone).");
}

/** Thrown when a transaction waited longer than its lock timeout for an event's row. */
export class EventBusyError extends Error {
  constructor(eventId?: string) {
    super(`The event${eventId ? ` ${eventId}` : ""} is busy with other changes; try again in a moment.`);
    this.name = "EventBusyError";
  }
}
