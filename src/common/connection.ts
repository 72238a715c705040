import { Directive, Field, ObjectType } from "type-graphql";
import { partOfParentHint } from "../cache/cache-hints.js";
import { badUserInput } from "./errors.js";

/* Relay cursor connections with keyset pagination: cursors encode the sort key, so a
   page never skips or repeats rows when others are inserted meanwhile. */

export const MAX_PAGE_SIZE = 100;

@ObjectType()
@Directive(partOfParentHint)
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

/*
 * Every list that hands out cursors, with the type of the first part of its sort key.
 * A cursor names its list, so one list refuses another's cursor instead of reading its
 * key as if it were its own (a venue's name is not a start time).
 */
const cursorLists = {
  events: "number",
  registrations: "number",
  emailDeliveries: "number",
  webhookDeliveries: "number",
  newsletterSubscribers: "number",
  venues: "string",
  organisations: "string",
} as const;

export type CursorList = keyof typeof cursorLists;
/** (sort value, id): a start time or creation time in ms, or a name; the id breaks ties. */
export type SortKey<L extends CursorList = CursorList> = [(typeof cursorLists)[L] extends "number" ? number : string, string];

export function encodeCursor<L extends CursorList>(list: L, key: SortKey<L>): string {
  return Buffer.from(JSON.stringify([list, ...key])).toString("base64url");
}

export function decodeCursor<L extends CursorList>(list: L, cursor: string | null | undefined): SortKey<L> | null {
  if (cursor === null || cursor === undefined) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    // reported below
  }
  if (Array.isArray(decoded) && decoded.length === 3 && Object.hasOwn(cursorLists, decoded[0]) && typeof decoded[2] === "string") {
    const [from, value, id] = decoded as [CursorList, unknown, string];
    if (from !== list) throw badUserInput(`\`after\` is a cursor of the ${from} list; this is the ${list} list`);
    const valid = cursorLists[list] === "number" ? Number.isSafeInteger(value) : typeof value === "string";
    if (valid) return [value, id] as SortKey<L>;
  }
  throw badUserInput(`\`after\` is not a cursor returned by this API for the ${list} list`);
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
export function toConnection<T, L extends CursorList>(
  list: L,
  rows: T[],
  size: number,
  after: SortKey<L> | null,
  keyOf: (row: T) => SortKey<L>,
  totalCount: () => Promise<number> | number,
): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor(list, keyOf(node)), node }));
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
