import { Field, ObjectType } from "type-graphql";
import { badUserInput } from "./errors.js";

/* Relay cursor connections with keyset pagination: cursors encode the sort key, so a
   page never skips or repeats rows when others are inserted meanwhile. */

export const MAX_PAGE_SIZE = 100;

@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => Boolean)
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export type SortKey = [number, string];

export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

export function decodeCursor(cursor: string | null | undefined): SortKey | null {
  if (cursor === null || cursor === undefined) return null;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(key) && key.length === 2 && Number.isSafeInteger(key[0]) && typeof key[1] === "string") return key as SortKey;
  } catch {
    // reported below
  }
  throw badUserInput("`after` is not a cursor returned by this API");
}

export function pageSize(first: number | null | undefined): number {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw badUserInput(`\`first\` must be between 0 and ${MAX_PAGE_SIZE}`);
  }
  return size;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  /** A getter, so the count query only runs when a client asks for it. */
  readonly totalCount: Promise<number> | number;
}

/** Builds a connection from rows fetched with `limit + 1` to learn whether more exist. */
export function toConnection<T>(rows: T[], size: number, after: SortKey | null, keyOf: (row: T) => SortKey, totalCount: () => Promise<number> | number): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      hasPreviousPage: after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    get totalCount() {
      return totalCount();
    },
  };
}
