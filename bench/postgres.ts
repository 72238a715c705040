/*
 * The PostgreSQL server the bench's "pg" part runs on: reachable or not, a fresh database
 * per variant (dropped at the end), and the server's own CPU use when it runs on this
 * machine (on SQLite the database's work is in the server process; on PostgreSQL it is not).
 */
import { readFileSync } from "node:fs";
import pg from "pg";

/** A maintenance database on the server (the `postgres` role and database every installation has). */
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/postgres";

/** host:port and user of a URL, to name the server in a message without its password. */
export function postgresAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.username || "(OS user)"}@${parsed.host}`;
}

async function withServer<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export interface PostgresServer {
  /** e.g. "PostgreSQL 15.20". */
  version: string;
  /** "on" (the default): every commit waits for the disk. */
  synchronousCommit: string;
  /** The postmaster's pid when it runs on this machine (its /proc readable), else null. */
  postmasterPid: number | null;
}

/** The server, or why it cannot be used (unreachable, refused, …). */
export async function probePostgres(url = POSTGRES_URL): Promise<PostgresServer | string> {
  try {
    return await withServer(url, async (client) => {
      const { rows } = await client.query<{ version: string; sync: string; pid: number }>(
        "SELECT current_setting('server_version') AS version, current_setting('synchronous_commit') AS sync, pg_backend_pid() AS pid",
      );
      const row = rows[0]!;
      return { version: `PostgreSQL ${row.version}`, synchronousCommit: row.sync, postmasterPid: localParent(row.pid) };
    });
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    // An AggregateError (IPv4 and IPv6 both refused) has an empty message but a code.
    return message || code || String(error);
  }
}

/** A backend's parent is the postmaster; found through /proc only when the server is local. */
function localParent(backendPid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${backendPid}/stat`, "utf8");
    if (!/\(postgres\)/.test(stat)) return null; // the same pid number in another machine's (or container's) namespace
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

export interface FreshDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A new, empty database under a name no other run uses. The server's own settings are
 * kept (synchronous_commit on: every commit waits for the disk), as a deployment would
 * have them; SQLite's synchronous=NORMAL waits less, a difference the numbers include.
 */
export async function createFreshDatabase(prefix: string, url = POSTGRES_URL): Promise<FreshDatabase> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  // [a-z0-9_] only, so quoting is enough
  await withServer(url, (client) => client.query(`CREATE DATABASE "${name}"`));
  const databaseUrl = new URL(url);
  databaseUrl.pathname = `/${name}`;
  return {
    name,
    url: databaseUrl.toString(),
    // FORCE: ends any connection a server that did not stop cleanly left open.
    drop: () => withServer(url, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}
