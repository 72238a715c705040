import type Database from "better-sqlite3";

/*
 * better-sqlite3 compiles a statement on every `prepare`, and drizzle prepares on every
 * query it runs: on the read path compiling cost more than running. This keeps compiled
 * statements by their SQL text on the connection, so every caller (drizzle's builders,
 * its prepared queries, raw SQL) reuses them. A statement keeps the modes its last user
 * set (raw, pluck, expand), so they are reset before it is handed out again; drizzle
 * sets the mode it needs right before each run, synchronously.
 */

/** Distinct SQL texts kept; past it the least recently used is finalised by the GC. */
export const STATEMENT_CACHE_SIZE = 500;

export function cacheStatements(sqlite: Database.Database, size = STATEMENT_CACHE_SIZE): void {
  const compile = sqlite.prepare.bind(sqlite);
  const statements = new Map<string, Database.Statement>();
  const prepare = (source: string): Database.Statement => {
    let statement = statements.get(source);
    if (statement) {
      // Most recently used last: a Map iterates in insertion order.
      statements.delete(source);
    } else {
      statement = compile(source);
    }
    statements.set(source, statement);
    if (statements.size > size) statements.delete(statements.keys().next().value!);
    if (statement.reader) statement.raw(false).pluck(false).expand(false);
    return statement;
  };
  sqlite.prepare = prepare as Database.Database["prepare"];
}
