import type { DatabaseLocation } from "./db/client.js";
import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Checks of the places the process writes to, run before anything is opened, so a bad
 * DATABASE_URL or MAIL_DIR stops the start with one line that names the setting, the
 * path and the reason (instead of "unable to open database file", or a mail delivery
 * that fails an hour later).
 */
export class StartupError extends Error {}

/** "permission denied (EACCES)" from Node's "EACCES: permission denied, mkdir '/x'". */
export function describeFsError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  const plain = /^[A-Z]+: (.*?)(, \w+ '.*')?$/.exec(error.message)?.[1] ?? error.message;
  return code && !plain.includes(code) ? `${plain} (${code})` : plain;
}

/**
 * Creates the folder one level at a time (a recursive mkdir loops under /proc), then
 * proves it writable with a probe file: as root, access(W_OK) says yes to a read-only
 * mount. Returns a reason, or null when the folder is usable.
 */
function folderProblem(folder: string): string | null {
  const missing: string[] = [];
  for (let dir = folder; ; dir = dirname(dir)) {
    let isDirectory: boolean | null = null;
    try {
      isDirectory = statSync(dir).isDirectory();
    } catch (error) {
      // ENOTDIR: a file further up; the walk reaches it and says so
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") return `cannot read ${dir}: ${describeFsError(error)}`;
    }
    if (isDirectory === false) return `${dir} is not a folder`;
    if (isDirectory) break;
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") return `cannot create the folder ${dir}: ${describeFsError(error)}`;
    }
  }
  const probe = join(folder, `.write-check-${process.pid}`);
  try {
    closeSync(openSync(probe, "w"));
    unlinkSync(probe);
  } catch (error) {
    return `cannot write in ${folder}: ${describeFsError(error)}`;
  }
  return null;
}

/** The SQLite file's folder must exist and be writable: SQLite adds -wal and -shm files next to it. */
export function checkDatabaseLocation(databasePath: string): void {
  if (databasePath === ":memory:") return;
  const problem = folderProblem(dirname(databasePath));
  if (problem) throw new StartupError(`DATABASE_URL=file:${databasePath}: ${problem}`);
  try {
    if (!statSync(databasePath).isFile()) throw new StartupError(`DATABASE_URL=file:${databasePath}: that is not a file`);
    closeSync(openSync(databasePath, "r+"));
  } catch (error) {
    if (error instanceof StartupError) throw error;
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new StartupError(`DATABASE_URL=file:${databasePath}: cannot open the file for writing: ${describeFsError(error)}`);
  }
}

/** Whatever the database says when it cannot be opened or migrated, with the setting (never a password). */
export function databaseOpenError(location: DatabaseLocation, error: unknown): StartupError {
  if (location.dialect === "sqlite") return new StartupError(`DATABASE_URL=file:${location.path}: cannot open the database: ${describeFsError(error)}`);
  const url = new URL(location.url);
  if (url.password) url.password = "***";
  const cause = error instanceof AggregateError && error.errors.length ? error.errors[0] : error;
  // PostgreSQL's invalid_catalog_name: the server answers, the database is not there yet.
  const hint = (cause as { code?: string }).code === "3D000" ? ` (create it first: createdb -h ${url.hostname} -p ${url.port || 5432}${url.username ? ` -U ${url.username}` : ""} ${url.pathname.slice(1)})` : "";
  return new StartupError(`DATABASE_URL=${url.toString()}: cannot connect or migrate: ${(cause as Error).message || String(cause)}${hint}`);
}

/** Without SMTP_URL every email is written to MAIL_DIR: check it now rather than at the first send. */
export function checkMailDir(mailDir: string): void {
  const problem = folderProblem(mailDir);
  if (problem) throw new StartupError(`MAIL_DIR=${mailDir} (mail is written to files there, as SMTP_URL is not set): ${problem}`);
}
