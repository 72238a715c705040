import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { SqliteDb } from "./sqlite.js";

/**
 * A consistent copy of a live SQLite database (VACUUM INTO): one read transaction on the
 * read-only connection, so writers carry on meanwhile, and a compact file with no WAL to
 * go with it. Restore: stop the processes, put the copy in place of the file (and remove
 * its -wal and -shm), start again.
 */
export function backupSqlite(db: SqliteDb, file: string): string {
  const target = resolve(file);
  if (existsSync(target)) throw new Error(`${target} already exists; a backup never overwrites a file`);
  mkdirSync(dirname(target), { recursive: true });
  db.reader.prepare("VACUUM INTO ?").run(target);
  return target;
}
