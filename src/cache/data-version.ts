import type { Db } from "../db/database.js";
import type { SqliteDb } from "../db/sqlite.js";

/**
 * Says whether committed data may have changed: a cached response is served only while
 * the version it was computed at is still current. It is read on every cached read, so
 * it must be cheap.
 */
export interface DataVersion {
  /** Changes (increases) whenever data may have changed since the last call. */
  current(): number;
}

/** How late another process's commit may be seen on SQLite: PRAGMA data_version costs ~6 µs here. */
const OTHER_CONNECTIONS_POLL_MS = 1;

/**
 * Both halves of "data may have changed":
 * - this process's own commits: `db.commits`, bumped after every transaction commits, so a
 *   write made here is seen by the very next read, with no hook to forget (every write is
 *   in a transaction);
 * - other processes' commits. SQLite: `PRAGMA data_version` on the read connection changes
 *   when any other connection (the writer, another process) commits to the file; it takes
 *   the file's locks, so it is read at most once a millisecond. PostgreSQL: every commit
 *   that writes a table a public read shows fires NOTIFY data_changed (statement triggers,
 *   drizzle-pg/0002), which every process LISTENs to (postgres.ts) — delivered only once the
 *   writing transaction commits, so a reader never caches the state before it.
 * LISTEN/NOTIFY rather than Redis pub/sub: the notification is sent by the database in the
 * same transaction as the write, from any process or tool that writes, and needs nothing
 * besides the database the deployment already has. Redis stays optional (rate limits).
 */
export function dataVersion(db: Db): DataVersion {
  return db.dialect === "sqlite" ? sqliteDataVersion(db as SqliteDb) : notifiedDataVersion(db);
}

function sqliteDataVersion(db: SqliteDb): DataVersion {
  const readCommits = db.reader.prepare("PRAGMA data_version").pluck();
  let ownCommits = -1;
  let commits = -1;
  let commitsReadAt = -Infinity;
  let version = 0;
  return {
    current() {
      const nowOwn = db.commits;
      const now = performance.now();
      let nowCommits = commits;
      if (now - commitsReadAt >= OTHER_CONNECTIONS_POLL_MS) {
        nowCommits = readCommits.get() as number;
        commitsReadAt = now;
      }
      if (nowOwn !== ownCommits || nowCommits !== commits) {
        ownCommits = nowOwn;
        commits = nowCommits;
        version += 1;
      }
      return version;
    },
  };
}

function notifiedDataVersion(db: Db): DataVersion {
  let foreign = 0;
  db.onForeignCommit(() => {
    foreign += 1;
  });
  let ownCommits = -1;
  let seenForeign = -1;
  let version = 0;
  return {
    current() {
      if (db.commits !== ownCommits || foreign !== seenForeign) {
        ownCommits = db.commits;
        seenForeign = foreign;
        version += 1;
      }
      return version;
    },
  };
}
