import { eq, sql, type SQL } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { NodePgPreparedQuery } from "drizzle-orm/node-postgres/session";
import { PgDeleteBase, PgInsertBase, PgSelectBase, PgUpdateBase } from "drizzle-orm/pg-core";
import { userInfo } from "node:os";
import pg from "pg";
import { assertOutsideTransaction, EventBusyError, MAX_WAIT_MS, guardedReads, insideTransaction, nestedTransactionRefused, transactionScopeOf, type Db, type Reads, type Tx } from "./database.js";
import { preparedPerDatabase } from "./prepared.js";
import * as schema from "./schema.pg.js";
import type { OpenDatabaseOptions } from "./sqlite.js";
import { useDialectTables } from "./tables.js";

export type PostgresDb = Db & {
  readonly dialect: "postgres";
  readonly pool: pg.Pool;
};

type Drizzle = NodePgDatabase<typeof schema> & { $client: pg.Pool };
/** A transaction's handle: its pooled connection's drizzle instance (handleOf). */
type PgTx = NodePgDatabase<typeof schema>;

/** The channel every committed write notifies (drizzle-pg/0002: statement triggers). */
export const DATA_CHANGED_CHANNEL = "data_changed";

/** How long a statement waits for a row lock (an event's, mostly), unless DATABASE_LOCK_TIMEOUT_MS says otherwise. */
const DEFAULT_LOCK_TIMEOUT_MS = 5_000;

/** PostgreSQL's `lock_not_available`: lock_timeout ran out. */
const LOCK_NOT_AVAILABLE = "55P03";

/**
 * Opens a pool on PostgreSQL. Reads outside a transaction take any pooled connection;
 * a transaction holds one until it commits. Every connection bounds its lock waits
 * (lock_timeout), so a transaction queued behind an event's lock fails clearly instead of
 * holding its connection for as long as the other one takes.
 */
export function openPostgres(url: string, options: OpenDatabaseOptions = {}): PostgresDb {
  useDialectTables("postgres");
  adaptBuilders();
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const scope = transactionScopeOf(options);
  // connectionTimeoutMillis: a wait for a pooled connection is bounded too (a pool that
  // stays exhausted, or nested transactions when the guard is off, fail instead of
  // hanging). It bounds every use of the pool: a transaction gets EventBusyError, a read
  // outside one pg-pool's own error.
  const pool = new pg.Pool({
    ...connection(url),
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.maxWaitMs ?? MAX_WAIT_MS,
    options: `-c lock_timeout=${lockTimeoutMs}`,
  });
  // An idle connection that breaks (the server restarted) is dropped by the pool; without a
  // listener its error would end the process.
  pool.on("error", () => undefined);
  const onStatement = options.onStatement;
  const logger = onStatement ? { logQuery: (sql: string) => onStatement(sql) } : false;
  const root = drizzle({ client: pool, schema, logger }) as Drizzle;
  /**
   * One drizzle handle per pooled connection, kept as long as the connection: a
   * transaction's tx is its connection's handle. Statements prepared per handle
   * (register-statements.ts, db/prepared.ts) are then built once per connection, not
   * once per transaction: building them again was a quarter of the API's CPU in a
   * profile of registrations on PostgreSQL.
   */
  const handleOf = preparedPerDatabase((client: pg.PoolClient): PgTx => drizzle({ client, schema, logger }));
  let commits = 0;
  let savepoints = 0;
  const listeners: (() => void)[] = [];
  let listener: pg.Client | null = null;
  let closed = false;
  let closing: Promise<void> | null = null;

  async function listen(): Promise<void> {
    if (closed || listener) return;
    const client = new pg.Client(connection(url));
    listener = client;
    const lost = () => {
      if (listener !== client) return;
      listener = null;
      // Commits made while nobody listened are unknown: count one, and listen again.
      for (const notify of listeners) notify();
      if (!closed) setTimeout(() => void listen(), 1_000).unref();
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", () => {
      for (const notify of listeners) notify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${DATA_CHANGED_CHANNEL}`);
    } catch {
      lost();
      await client.end().catch(() => undefined);
    }
  }

  const db: PostgresDb = {
    dialect: "postgres",
    pool,
    ...guardedReads(root as unknown as Reads),
    get commits() {
      return commits;
    },
    async transaction<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
      if (insideTransaction()) throw nestedTransactionRefused();
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw isPoolWaitTimeout(error) ? new EventBusyError() : error;
      }
      // Past drizzle, so told to onStatement here, as drizzle tells it the others.
      const control = (statement: "begin" | "commit" | "rollback") => {
        onStatement?.(statement);
        return client.query(statement);
      };
      let broken: Error | undefined;
      try {
        await control("begin");
        const result = await scope(() => body(handleOf(client) as unknown as Tx));
        await control("commit");
        commits += 1;
        return result;
      } catch (error) {
        await control("rollback").catch((rollbackFailed: Error) => (broken = rollbackFailed));
        if (pgCode(error) === LOCK_NOT_AVAILABLE) throw new EventBusyError();
        throw error;
      } finally {
        // A connection whose ROLLBACK failed is in no known state: the pool drops it.
        client.release(broken);
      }
    },
    async savepoint<T>(tx: Tx, body: () => Promise<T>): Promise<T> {
      const name = `sp${++savepoints}`;
      const client = tx as unknown as PgTx;
      await client.execute(sql.raw(`SAVEPOINT ${name}`));
      try {
        const result = await body();
        await client.execute(sql.raw(`RELEASE SAVEPOINT ${name}`));
        return result;
      } catch (error) {
        await client.execute(sql.raw(`ROLLBACK TO SAVEPOINT ${name}`));
        throw error;
      }
    },
    async lockEvent(tx, eventId) {
      const rows = await lockEventQuery(tx as unknown as PgTx).execute({ eventId });
      return rows[0] as Awaited<ReturnType<Db["lockEvent"]>>;
    },
    claimRows(query) {
      return (query as unknown as { for(strength: "update", config: { skipLocked: true }): unknown }).for("update", { skipLocked: true }) as typeof query;
    },
    async rows<T>(query: SQL, tx?: Tx): Promise<T[]> {
      if (!tx) assertOutsideTransaction("db.rows()");
      const result = await ((tx as unknown as PgTx) ?? root).execute(query);
      return result.rows as T[];
    },
    onForeignCommit(notify) {
      listeners.push(notify);
      void listen();
    },
    close() {
      closed = true;
      closing ??= (async () => {
        const client = listener;
        listener = null;
        await client?.end().catch(() => undefined);
        await pool.end();
      })();
      return closing;
    },
  };
  return db;
}

/**
 * node-postgres reads the user from $USER when the URL names none, and fails when that is
 * unset (a service, a container); psql and libpq take the OS account's name, as here.
 */
function connection(url: string): pg.ClientConfig {
  const parsed = new URL(url);
  // In the URL itself: node-postgres lets the connection string's (empty) user win over a `user` option.
  if (!parsed.username) parsed.username = encodeURIComponent(userInfo().username);
  return { connectionString: parsed.toString() };
}

/** The event's row, locked: built once per connection handle (see handleOf). */
const lockEventQuery = preparedPerDatabase((tx: PgTx) =>
  tx.select().from(schema.events).where(eq(schema.events.id, sql.placeholder("eventId"))).for("no key update").prepare(""),
);

/** pg-pool's error when no connection became free within connectionTimeoutMillis (it has no code). */
function isPoolWaitTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === "timeout exceeded when trying to connect";
}

function pgCode(error: unknown): string | undefined {
  for (let e = error as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === "string") return e.code;
  }
  return undefined;
}

/* ------------------------------------------------------------------ adapter */

let adapted = false;

/**
 * The services run their queries with SQLite's `get()` (first row), `all()` (rows) and
 * `run()` (`{ changes }`), awaited (database.ts). PostgreSQL's builders and prepared
 * queries only have `execute()`; these give them the same three, in terms of it, and let
 * `prepare()` go without a name (an unnamed statement: PostgreSQL plans it per run).
 */
function adaptBuilders(): void {
  if (adapted) return;
  adapted = true;
  type Runnable = { execute(values?: Record<string, unknown>): Promise<unknown> };
  const methods = {
    async all(this: Runnable, values?: Record<string, unknown>) {
      const result = await this.execute(values);
      return Array.isArray(result) ? result : (result as pg.QueryResult).rows;
    },
    async get(this: Runnable, values?: Record<string, unknown>) {
      const result = await this.execute(values);
      return (Array.isArray(result) ? result : (result as pg.QueryResult).rows)[0];
    },
    async run(this: Runnable, values?: Record<string, unknown>) {
      const result = await this.execute(values);
      return { changes: Array.isArray(result) ? result.length : ((result as pg.QueryResult).rowCount ?? 0) };
    },
  };
  for (const target of [PgSelectBase, PgInsertBase, PgUpdateBase, PgDeleteBase, NodePgPreparedQuery]) {
    Object.assign(target.prototype, methods);
  }
}
