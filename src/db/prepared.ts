import { sql, type Column, type SQL } from "drizzle-orm";
import type { Db } from "./client.js";

/*
 * Queries on the read path are built and prepared once per database and then only run:
 * drizzle builds SQL text from its query objects at every run otherwise, which cost more
 * than SQLite executing it.
 */

/** `build(db)` run once per database handle; loaders, made per request, share the result. */
export function preparedPerDatabase<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>();
  return (db) => {
    let queries = built.get(db);
    if (!queries) {
      queries = build(db);
      built.set(db, queries);
    }
    return queries;
  };
}

/**
 * `column IN (the values of the placeholder)`: one statement for a batch of any size, the
 * list bound as a JSON array (SQLite's json_each; PostgreSQL would bind an array to
 * `= ANY($1)`). Bind the value with `listParam`.
 */
export function inList(column: Column | SQL.Aliased, placeholder = "ids"): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${sql.placeholder(placeholder)}))`;
}

export function listParam(values: readonly (string | number)[]): string {
  return JSON.stringify(values);
}
