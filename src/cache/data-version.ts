import type { Db } from "../db/client.js";

/**
 * Says whether committed data may have changed: a cached response is served only while
 * the version it was computed at is still current. It is read on every cached read, so
 * it must be cheap.
 *
 * A database that cannot report other processes' commits (PostgreSQL behind several API
 * processes) implements this with a counter bumped after each committed writeTransaction,
 * shared between processes by LISTEN/NOTIFY or Redis; until then the response cache's TTL
 * is what bounds another process's staleness.
 */
export interface DataVersion {
  /** Changes (increases) whenever data may have changed since the last call. */
  current(): number;
}

/**
 * SQLite reports both halves itself, in one statement:
 * - `total_changes()` counts every row this connection inserted, updated or deleted,
 *   inside writeTransaction or not (api-key use, outbox, worker deliveries), so a write
 *   made in this process is seen by the next read, with no hook to forget;
 * - `PRAGMA data_version` changes when another connection, in this process or another
 *   one on the same file, commits.
 */
export function sqliteDataVersion(db: Db): DataVersion {
  const read = db.$client.prepare("SELECT total_changes(), data_version FROM pragma_data_version").raw();
  let changes = -1;
  let committedElsewhere = -1;
  let version = 0;
  return {
    current() {
      const [nowChanges, nowCommitted] = read.get() as [number, number];
      if (nowChanges !== changes || nowCommitted !== committedElsewhere) {
        changes = nowChanges;
        committedElsewhere = nowCommitted;
        version += 1;
      }
      return version;
    },
  };
}
