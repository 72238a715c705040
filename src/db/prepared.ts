import type { Db, Tx } from "./database.js";

/*
 * Queries on the read path are built and prepared once per database and then only run:
 * drizzle builds SQL text from its query objects at every run otherwise, which cost more
 * than SQLite executing it.
 */

/**
 * `build(db)` run once per database handle (a Db, a transaction's handle, a pooled
 * connection); loaders, made per request, share the result.
 */
export function preparedPerDatabase<T, H extends object = Db | Tx>(build: (db: H) => T): (db: H) => T {
  const built = new WeakMap<H, T>();
  return (db) => {
    let queries = built.get(db);
    if (!queries) {
      queries = build(db);
      built.set(db, queries);
    }
    return queries;
  };
}

export { inList, listParam } from "./dialect.js";
