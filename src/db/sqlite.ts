import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Sqlite from "better-sqlite3";
import { eq, type SQL } from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { assertOutsideTransaction, EventBusyError, MAX_WAIT_MS, guardedReads, insideTransaction, nestedTransactionRefused, transactionScopeOf, type Db, type Reads, type Tx } from "./database.js";
import * as schema from "./schema.js";
import { cacheStatements } from "./statement-cache.js";
import { useDialectTables } from "./tables.js";

export interface OpenDatabaseOptions {
  /** Called with every SQL statement run: the N+1 tests count them. */
  onStatement?: (sql: string) => void;
  /** Called with every SQL text SQLite compiles (not found among the cached statements): tests check reuse. */
  onCompile?: (sql: string) => void;
  /** PostgreSQL: connections in this process's pool. */
  poolSize?: number;
  /** PostgreSQL: how long a statement waits for a row lock (lock_timeout) before its transaction fails with EventBusyError. */
  lockTimeoutMs?: number;
  /**
   * How long a transaction waits for its turn before it fails with EventBusyError, having
   * done nothing. SQLite: for the writer (behind this process's other transactions);
   * PostgreSQL: for a pooled connection. Default MAX_WAIT_MS.
   */
  maxWaitMs?: number;
  /**
   * Whether transaction bodies are marked with AsyncLocalStorage, so that the root handle,
   * a nested transaction and network I/O inside a body throw (database.ts). Default true;
   * config.ts turns it off in production, where Node 20's promise hooks cost 15 % of a
   * registration's CPU (README, "Development").
   */
  transactionGuard?: boolean;
}

export type SqliteDb = Db & {
  readonly dialect: "sqlite";
  /** The writer connection, for what only SQLite has (backups, PRAGMAs, tests' raw SQL). */
  readonly writer: Sqlite.Database;
  /** The read-only connection the root handle's reads use. */
  readonly reader: Sqlite.Database;
};

type Drizzle = BetterSQLite3Database<typeof schema> & { $client: Sqlite.Database };

/**
 * Opens the SQLite file with two connections: a writer that only transactions use, one at
 * a time (an in-process queue in front of BEGIN IMMEDIATE), and a read-only one for every
 * read outside a transaction. WAL lets that reader see the latest commit while the writer
 * works; foreign keys are enforced; the busy timeout makes another process (the worker)
 * wait for the file's write lock instead of failing.
 */
export function openSqlite(path: string, options: OpenDatabaseOptions = {}): SqliteDb {
  useDialectTables("sqlite");
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const writer = connect(path, options, false);
  // ":memory:" is one database per connection: the reader would see none of the writer's tables.
  const reader = path === ":memory:" ? writer : connect(path, options, true);
  const writes = wrap(writer, options);
  const reads = reader === writer ? writes : wrap(reader, options);

  const begin = writer.prepare("BEGIN IMMEDIATE");
  const commit = writer.prepare("COMMIT");
  const rollback = writer.prepare("ROLLBACK");
  const savepoint = writer.prepare("SAVEPOINT part");
  const release = writer.prepare("RELEASE part");
  const rollbackTo = writer.prepare("ROLLBACK TO part");
  let queue: Promise<unknown> = Promise.resolve();
  const maxWaitMs = options.maxWaitMs ?? MAX_WAIT_MS;
  const scope = transactionScopeOf(options);
  let commits = 0;

  const db: SqliteDb = {
    dialect: "sqlite",
    writer,
    reader,
    ...guardedReads(reads as unknown as Reads),
    get commits() {
      return commits;
    },
    transaction<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
      if (insideTransaction()) return Promise.reject(nestedTransactionRefused());
      const run = async (): Promise<T> => {
        begin.run();
        try {
          const result = await scope(() => body(writes as unknown as Tx));
          commit.run();
          commits += 1;
          return result;
        } catch (error) {
          if (writer.inTransaction) rollback.run();
          throw error;
        }
      };
      // The wait for the writer is bounded: past it the transaction gives up its turn and
      // fails with EVENT_BUSY, having done nothing. Without the guard this is also what ends
      // a nested transaction, which would otherwise wait forever for the body awaiting it.
      let abandoned = false;
      let timer: NodeJS.Timeout | undefined;
      const turn = queue.then(() => {
        clearTimeout(timer);
        return abandoned ? undefined : run();
      });
      queue = turn.catch(() => undefined);
      const waited = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abandoned = true;
          reject(new EventBusyError());
        }, maxWaitMs);
      });
      return Promise.race([turn as Promise<T>, waited]);
    },
    async savepoint<T>(_tx: Tx, body: () => Promise<T>): Promise<T> {
      // One name for all: SQLite's RELEASE and ROLLBACK TO act on the innermost savepoint of
      // that name, so nested ones work, and the three statements stay prepared (group
      // commit opens one per registration).
      savepoint.run();
      try {
        const result = await body();
        release.run();
        return result;
      } catch (error) {
        rollbackTo.run();
        release.run();
        throw error;
      }
    },
    async lockEvent(tx, eventId) {
      // BEGIN IMMEDIATE took the whole database's write lock: the row is as fresh as it gets.
      return (await tx.select().from(schema.events).where(eq(schema.events.id, eventId)))[0];
    },
    claimRows: (query) => query,
    async rows<T>(query: SQL, tx?: Tx): Promise<T[]> {
      if (!tx) assertOutsideTransaction("db.rows()");
      return ((tx ?? reads) as unknown as Drizzle).all<T>(query);
    },
    onForeignCommit() {
      // Other processes' commits are seen by PRAGMA data_version (data-version.ts).
    },
    async close() {
      await queue;
      if (reader !== writer && reader.open) reader.close();
      if (writer.open) writer.close();
    },
  };
  return db;
}

function connect(path: string, options: OpenDatabaseOptions, readonly: boolean): Sqlite.Database {
  const sqlite = new Sqlite(path, { readonly: readonly && path !== ":memory:" });
  if (!readonly) {
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = NORMAL");
  }
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  // A write that fires triggers (registration_counts) keeps a statement journal to undo
  // itself alone; in memory, not a temporary file created and removed for every statement.
  sqlite.pragma("temp_store = MEMORY");
  const onCompile = options.onCompile;
  if (onCompile) {
    // Under the cache, so it sees exactly the statements SQLite compiles.
    const compile = sqlite.prepare.bind(sqlite);
    sqlite.prepare = ((source: string) => {
      onCompile(source);
      return compile(source);
    }) as Sqlite.Database["prepare"];
  }
  cacheStatements(sqlite);
  return sqlite;
}

function wrap(sqlite: Sqlite.Database, options: OpenDatabaseOptions): Drizzle {
  const onStatement = options.onStatement;
  return drizzle({ client: sqlite, schema, logger: onStatement ? { logQuery: (sql) => onStatement(sql) } : false }) as Drizzle;
}
