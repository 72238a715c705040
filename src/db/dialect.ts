import { sql, type Column, type SQL, type SQLWrapper } from "drizzle-orm";
import { tablesDialect } from "./tables.js";

/*
 * The few SQL fragments whose text differs between SQLite and PostgreSQL. Each is built
 * for the dialect the process's tables speak (tables.ts), so a service writes it once.
 */

/**
 * `column IN (the values of the placeholder)`: one statement for a batch of any size, the
 * list bound as one JSON array text (listParam) that the database unpacks: SQLite's
 * json_each, PostgreSQL's jsonb_array_elements_text.
 */
export function inList(column: Column | SQL.Aliased, placeholder = "ids"): SQL {
  return tablesDialect() === "postgres"
    ? sql`${column} IN (SELECT jsonb_array_elements_text(${sql.placeholder(placeholder)}::jsonb))`
    : sql`${column} IN (SELECT value FROM json_each(${sql.placeholder(placeholder)}))`;
}

export function listParam(values: readonly (string | number)[]): string {
  return JSON.stringify(values);
}

/**
 * Whether a JSON array column (of strings) holds any of `values`. SQLite keeps it as JSON
 * text and walks it with json_each; PostgreSQL keeps jsonb and asks `?|`.
 * `column` may be a column or a raw SQL reference (an aliased table's column).
 */
export function jsonArrayHasAny(column: SQLWrapper, values: readonly string[]): SQL {
  const list = sql.join(values.map((value) => sql`${value}`), sql`, `);
  return tablesDialect() === "postgres"
    ? sql`(${column} ?| ARRAY[${list}]::text[])`
    : sql`EXISTS (SELECT 1 FROM json_each(${column}) r WHERE r.value IN (${list}))`;
}

/**
 * `expression LIKE pattern`, ignoring case on both: SQLite's LIKE already ignores the case
 * of ASCII letters, PostgreSQL's is case-sensitive and ILIKE is its equivalent. The
 * pattern escapes `%`, `_` and `\` with a backslash (likePattern).
 */
export function likeIgnoringCase(expression: SQLWrapper, pattern: string): SQL {
  return tablesDialect() === "postgres" ? sql`${expression} ILIKE ${pattern} ESCAPE '\\'` : sql`${expression} LIKE ${pattern} ESCAPE '\\'`;
}

/**
 * Text compared and ordered by code point on both: SQLite's default (BINARY) collation;
 * on PostgreSQL the database's locale would order "a-b" and "ab" by language rules, so
 * the expression is compared in the "C" collation.
 */
export function byCodePoint(expression: SQLWrapper): SQL {
  return tablesDialect() === "postgres" ? sql`(${expression} COLLATE "C")` : sql`${expression}`;
}
