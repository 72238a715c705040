import { randomUUID } from "node:crypto";
import pg from "pg";

/*
 * PostgreSQL for tests: a server to create scratch databases on, one per test file, dropped
 * afterwards. The default names the `postgres` role, which every installation has (the
 * driver would otherwise log in as the OS user, a role that usually does not exist).
 */
export const postgresTestUrl = process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";

/** host:port and user of a URL, to name the server in a message without its password. */
export function postgresAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.username || "(OS user)"}@${parsed.host}`;
}

/** Why the server cannot be used, or null when it answers a query. */
export async function postgresUnavailable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    // An AggregateError (IPv4 and IPv6 both refused) has an empty message but a code.
    return message || code || String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * For a test file that needs PostgreSQL itself: why it is unreachable (then `what` is
 * skipped, with a notice saying how to run it), or null. REQUIRE_POSTGRES=1 (CI) turns
 * its absence into a failure instead.
 */
export async function postgresForTests(what: string): Promise<string | null> {
  const address = postgresAddress(postgresTestUrl);
  const unavailable = await postgresUnavailable(postgresTestUrl);
  if (unavailable && process.env.REQUIRE_POSTGRES === "1") {
    throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL at ${address} is unreachable (${unavailable}); start it or set TEST_DATABASE_URL`);
  }
  if (unavailable) {
    console.warn(
      `NOTICE: skipping ${what}: no PostgreSQL at ${address} (${unavailable}). ` +
        `To run them, start one (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set TEST_DATABASE_URL, ` +
        `and run the tests again; REQUIRE_POSTGRES=1 makes its absence a failure.`,
    );
  }
  return unavailable;
}

export interface ScratchDatabase {
  name: string;
  url: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

/** A new database on the server of `serverUrl`, under a name no other run uses: empty, or a copy of `template`. */
export async function createScratchDatabase(serverUrl: string, prefix: string, template?: string): Promise<ScratchDatabase> {
  if (!/^[a-z][a-z0-9_]*$/.test(prefix)) throw new Error(`not a plain database name prefix: ${prefix}`);
  if (template !== undefined && !/^[a-z][a-z0-9_]*$/.test(template)) throw new Error(`not a plain database name: ${template}`);
  const name = `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const quoted = `"${name}"`; // [a-z0-9_] only, so quoting is enough
  await withServer(serverUrl, async (client) => {
    await client.query(`CREATE DATABASE ${quoted}${template ? ` TEMPLATE "${template}"` : ""}`);
    // A scratch database need not survive a crash of the server: commits do not wait for
    // the disk (the suite's thousands of small transactions, not what is being tested).
    await client.query(`ALTER DATABASE ${quoted} SET synchronous_commit = off`);
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withServer(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`)).then(() => {}),
  };
}

async function withServer<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
