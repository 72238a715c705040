import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import * as tables from "./schema.js";
import { cacheStatements } from "./statement-cache.js";

export type Db = BetterSQLite3Database<typeof tables> & { $client: Database.Database };

export interface OpenDatabaseOptions {
  /** Called with every SQL statement run: the N+1 tests count them. */
  onStatement?: (sql: string) => void;
  /** Called with every SQL text SQLite compiles (not found among the cached statements): tests check reuse. */
  onCompile?: (sql: string) => void;
}

/**
 * Opens the SQLite file with the settings a concurrent web server needs: WAL so readers
 * never wait for the writer, foreign keys enforced, and a busy timeout so a second
 * process (the worker) waits for the write lock instead of failing.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Db {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
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
    }) as Database.Database["prepare"];
  }
  cacheStatements(sqlite);
  const onStatement = options.onStatement;
  return drizzle({
    client: sqlite,
    schema: tables,
    logger: onStatement ? { logQuery: (sql) => onStatement(sql) } : false,
  }) as Db;
}
