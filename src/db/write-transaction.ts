import type { Db } from "./client.js";

/** The transaction handle drizzle passes to a transaction's callback. */
export type WriteTx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * Runs `fn` in one synchronous `BEGIN IMMEDIATE` transaction: the write lock is taken at
 * BEGIN, before anything is read. Every read that decides a write therefore sees the
 * latest committed state and nobody can commit in between, across processes too. A
 * deferred transaction (SQLite's default) would read first and upgrade to a write later,
 * which fails at once with SQLITE_BUSY ("database is locked", no busy timeout) when
 * another process committed meanwhile. Every write transaction in src/ goes through here
 * (test/db/write-transactions.test.ts checks it).
 */
export function writeTransaction<T>(db: Db, fn: (tx: WriteTx) => T): T {
  return db.transaction(fn, { behavior: "immediate" });
}
