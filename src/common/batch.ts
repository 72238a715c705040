import DataLoader from "dataloader";

/*
 * Helpers for per-request DataLoaders: one SQL statement per batch of keys, results put
 * back in key order. Loaders are built in createContext, never shared across requests.
 */

export function loaderById<T>(fetch: (ids: readonly string[]) => Promise<T[]>, keyOf: (row: T) => string): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const byId = new Map((await fetch(ids)).map((row) => [keyOf(row), row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

export function loaderOfLists<T>(fetch: (ids: readonly string[]) => Promise<T[]>, keyOf: (row: T) => string): DataLoader<string, T[]> {
  return new DataLoader(async (ids) => {
    const groups = new Map<string, T[]>(ids.map((id) => [id, []]));
    for (const row of await fetch(ids)) groups.get(keyOf(row))?.push(row);
    return ids.map((id) => groups.get(id) ?? []);
  });
}

export function loaderOfCounts(fetch: (ids: readonly string[]) => Promise<{ key: string; n: number }[]>): DataLoader<string, number> {
  return new DataLoader(async (ids) => {
    const counts = new Map((await fetch(ids)).map((row) => [row.key, row.n]));
    return ids.map((id) => counts.get(id) ?? 0);
  });
}
