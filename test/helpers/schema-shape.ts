import { Column, is, SQL, StringChunk } from "drizzle-orm";
import { getTableConfig as pgTableConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";

/*
 * The dialect-free shape of a drizzle schema module: what must be the same on SQLite and
 * PostgreSQL for one set of services to run on either. Storage types are left out on
 * purpose (integer ms vs timestamptz); drizzle's dataType ("date", "boolean", "json",
 * "number", "string") and enum values are in, since they are what the row types are made of.
 */

export interface ColumnShape {
  notNull: boolean;
  hasDefault: boolean;
  /** A literal default's value; "(expression)" for SQL, JSON or generated defaults. */
  default: string | number | boolean | null;
  dataType: string;
  enumValues: string[] | null;
}

export interface IndexShape {
  columns: string[];
  unique: boolean;
  /** The partial index's condition, whitespace-normalised; null when the index is not partial. */
  where: string | null;
}

export interface ForeignKeyShape {
  references: string;
  onDelete: string;
  onUpdate: string;
}

export interface TableShape {
  name: string;
  columns: Record<string, ColumnShape>;
  primaryKey: string[];
  /** Column-level `.unique()` and table-level `unique()`, by constraint name. */
  uniques: Record<string, { columns: string[] }>;
  indexes: Record<string, IndexShape>;
  /** By the referencing columns, "(a, b)": SQLite's foreign keys have no name of their own. */
  foreignKeys: Record<string, ForeignKeyShape>;
  checks: Record<string, { condition: string }>;
}

export interface SchemaShape {
  /** By export name, so that an import of either file finds the same table under the same name. */
  tables: Record<string, TableShape>;
  /** The module's other exports (the enumeration lists), as JSON. */
  values: Record<string, string>;
}

type AnyTable = SQLiteTable | PgTable;
type IndexColumn = { name?: string } | SQL;

/** SQL text of a schema-level expression (a partial index's WHERE, a CHECK), columns by name. */
function sqlText(expression: SQL): string {
  const render = (chunk: unknown): string => {
    if (is(chunk, StringChunk)) return chunk.value.join("");
    if (is(chunk, Column)) return chunk.name;
    if (is(chunk, SQL)) return chunk.queryChunks.map(render).join("");
    return "?";
  };
  return render(expression).replace(/\s+/g, " ").trim();
}

function indexColumnName(column: IndexColumn): string {
  return is(column, SQL) ? `(${sqlText(column)})` : (column.name ?? "?");
}

function literalDefault(column: Column): ColumnShape["default"] {
  const value: unknown = column.default;
  if (value === undefined) return column.hasDefault ? "(expression)" : null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  return "(expression)";
}

function tableShape(table: AnyTable): TableShape {
  // The two getTableConfig differ only in the dialect-specific parts left out here.
  const config = is(table, PgTable) ? pgTableConfig(table) : sqliteTableConfig(table as SQLiteTable);
  const columns: TableShape["columns"] = {};
  const uniques: TableShape["uniques"] = {};
  const primaryKey: string[] = [];
  for (const column of config.columns as Column[]) {
    columns[column.name] = {
      notNull: column.notNull,
      hasDefault: column.hasDefault,
      default: literalDefault(column),
      dataType: column.dataType,
      enumValues: column.enumValues ?? null,
    };
    if (column.primary) primaryKey.push(column.name);
    if (column.isUnique) uniques[column.uniqueName ?? `${config.name}_${column.name}_unique`] = { columns: [column.name] };
  }
  for (const key of config.primaryKeys) primaryKey.push(...key.columns.map((column) => column.name));
  for (const constraint of config.uniqueConstraints) {
    uniques[constraint.getName() ?? "(unnamed)"] = { columns: constraint.columns.map((column) => column.name) };
  }
  const indexes: TableShape["indexes"] = {};
  for (const { config: index } of config.indexes) {
    indexes[index.name ?? "(unnamed)"] = {
      columns: (index.columns as IndexColumn[]).map(indexColumnName),
      unique: index.unique,
      where: index.where ? sqlText(index.where) : null,
    };
  }
  const foreignKeys: TableShape["foreignKeys"] = {};
  for (const foreignKey of config.foreignKeys) {
    const reference = foreignKey.reference();
    const foreignTable = is(reference.foreignTable, PgTable) ? pgTableConfig(reference.foreignTable).name : sqliteTableConfig(reference.foreignTable as SQLiteTable).name;
    foreignKeys[`(${reference.columns.map((column) => column.name).join(", ")})`] = {
      references: `${foreignTable}(${reference.foreignColumns.map((column) => column.name).join(", ")})`,
      // Unset means the SQL default, NO ACTION, on both dialects.
      onDelete: foreignKey.onDelete ?? "no action",
      onUpdate: foreignKey.onUpdate ?? "no action",
    };
  }
  const checks: TableShape["checks"] = {};
  for (const constraint of config.checks) checks[constraint.name] = { condition: sqlText(constraint.value) };
  return { name: config.name, columns, primaryKey, uniques, indexes, foreignKeys, checks };
}

/** The shape of a schema module (`import * as schema from ".../schema.js"`). */
export function schemaShape(module: Record<string, unknown>): SchemaShape {
  const shape: SchemaShape = { tables: {}, values: {} };
  for (const [exportName, value] of Object.entries(module)) {
    if (is(value, SQLiteTable) || is(value, PgTable)) shape.tables[exportName] = tableShape(value);
    else shape.values[exportName] = JSON.stringify(value) ?? String(value);
  }
  return shape;
}

const show = (value: unknown) => JSON.stringify(value);

/** Lines "where: left=… right=…" for every key of two records that differs, or exists on one side only. */
function compareRecords<T>(where: string, left: Record<string, T>, right: Record<string, T>, names: [string, string], compareItem: (where: string, a: T, b: T) => string[]): string[] {
  const lines: string[] = [];
  for (const key of [...new Set([...Object.keys(left), ...Object.keys(right)])].sort()) {
    if (!(key in right)) lines.push(`${where} ${key}: only in ${names[0]}`);
    else if (!(key in left)) lines.push(`${where} ${key}: only in ${names[1]}`);
    else lines.push(...compareItem(`${where} ${key}`, left[key]!, right[key]!));
  }
  return lines;
}

/** One line per field of two flat objects whose values differ. */
function compareFields(names: [string, string]) {
  return <T extends object>(where: string, a: T, b: T): string[] =>
    (Object.keys(a) as (keyof T)[])
      .filter((field) => show(a[field]) !== show(b[field]))
      .map((field) => `${where} ${String(field)}: ${names[0]}=${show(a[field])} ${names[1]}=${show(b[field])}`);
}

function compareTables(where: string, left: TableShape, right: TableShape, names: [string, string]): string[] {
  const fields = compareFields(names);
  return [
    ...fields(where, { name: left.name, primaryKey: left.primaryKey }, { name: right.name, primaryKey: right.primaryKey }),
    ...compareRecords(`${where} column`, left.columns, right.columns, names, fields),
    ...compareRecords(`${where} unique`, left.uniques, right.uniques, names, fields),
    ...compareRecords(`${where} index`, left.indexes, right.indexes, names, fields),
    ...compareRecords(`${where} foreign key`, left.foreignKeys, right.foreignKeys, names, fields),
    ...compareRecords(`${where} check`, left.checks, right.checks, names, fields),
  ];
}

/** Every difference between two schema shapes, one readable line each; empty when they agree. */
export function schemaDifferences(left: SchemaShape, right: SchemaShape, names: [string, string] = ["sqlite", "pg"]): string[] {
  return [
    ...compareRecords("table", left.tables, right.tables, names, (where, a, b) => compareTables(where, a, b, names)),
    ...compareRecords("export", left.values, right.values, names, (where, a, b) => (a === b ? [] : [`${where}: ${names[0]}=${a} ${names[1]}=${b}`])),
  ];
}
