import { sql, type InferInsertModel, type InferSelectModel, type Table } from "drizzle-orm";
import { boolean, doublePrecision, index as pgIndex, integer as pgInteger, jsonb, pgTable, primaryKey as pgPrimaryKey, text as pgText, timestamp, uniqueIndex as pgUniqueIndex } from "drizzle-orm/pg-core";
import { check, index, integer, primaryKey, real, sqliteTable, text, unique, uniqueIndex } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as pgSchema from "../../src/db/schema.pg.js";
import * as sqliteSchema from "../../src/db/schema.js";
import { schemaDifferences, schemaShape } from "../helpers/schema-shape.js";

/*
 * One set of services runs on SQLite (src/db/schema.ts) or PostgreSQL (src/db/schema.pg.ts):
 * the two schema files must describe the same tables. This fails, with one line per
 * difference, when one file changes without the other.
 */

describe("the SQLite and PostgreSQL schemas", () => {
  const sqliteShape = schemaShape(sqliteSchema);
  const pgShape = schemaShape(pgSchema);

  it("agree on tables, columns, keys, unique constraints, indexes, foreign keys and checks", () => {
    const differences = schemaDifferences(sqliteShape, pgShape);
    expect(differences, `src/db/schema.ts and src/db/schema.pg.ts differ (then run npm run db:generate:pg):\n  ${differences.join("\n  ")}\n`).toEqual([]);
  });

  it("are read in full, so that agreeing means something", () => {
    // A reader that missed a kind of constraint would see two equal, empty shapes.
    expect(Object.keys(sqliteShape.tables)).toHaveLength(24);
    const registrations = sqliteShape.tables.registrations!;
    expect(registrations.indexes.registrations_active_email_uq).toEqual({
      columns: ["event_id", "email_normalized"],
      unique: true,
      where: "status NOT IN ('CANCELLED', 'REJECTED')",
    });
    expect(registrations.uniques.registrations_check_in_code_unique).toEqual({ columns: ["check_in_code"] });
    expect(registrations.foreignKeys["(event_id)"]).toEqual({ references: "events(id)", onDelete: "no action", onUpdate: "no action" });
    expect(registrations.columns.status).toMatchObject({ notNull: true, dataType: "string", enumValues: [...sqliteSchema.registrationStatuses] });
    expect(sqliteShape.tables.registrationCounts).toMatchObject({
      primaryKey: ["event_id", "status"],
      checks: { registration_counts_not_negative: { condition: "count >= 0" } },
      foreignKeys: { "(event_id)": { references: "events(id)", onDelete: "cascade" } },
    });
    expect(sqliteShape.tables.events!.columns.offer_window_hours).toMatchObject({ hasDefault: true, default: 72 });
    expect(sqliteShape.values.registrationStatuses).toBeDefined();
  });
});

describe("schemaDifferences", () => {
  it("reports every kind of difference between two tables, one line each", () => {
    // given two versions of one small table that differ in each compared respect
    const sqliteParents = sqliteTable("parents", { id: text("id").primaryKey() });
    const pgParents = pgTable("parents", { id: pgText("id").primaryKey() });
    const sqliteVersion = sqliteTable(
      "bookings",
      {
        id: text("id").primaryKey(),
        code: text("code").notNull().unique(),
        status: text("status", { enum: ["OPEN", "CLOSED"] }).notNull(),
        seats: integer("seats").notNull().default(1),
        price: real("price"),
        parentId: text("parent_id").references(() => sqliteParents.id, { onDelete: "cascade" }),
        heldAt: integer("held_at", { mode: "timestamp_ms" }),
      },
      (table) => [
        index("bookings_status_idx").on(table.status, table.id),
        uniqueIndex("bookings_open_code_uq").on(table.code).where(sql`status = 'OPEN'`),
        check("bookings_seats_positive", sql`${table.seats} > 0`),
      ],
    );
    const pgVersion = pgTable(
      "bookings",
      {
        id: pgText("id").primaryKey(),
        code: pgText("code").notNull(), // unique constraint lost
        status: pgText("status", { enum: ["OPEN", "CLOSED", "VOID"] }), // nullable, one more value
        seats: pgInteger("seats").notNull().default(2),
        price: doublePrecision("price"),
        parentId: pgText("parent_id").references(() => pgParents.id), // onDelete lost
        heldAt: boolean("held_at"), // another row type
        extra: jsonb("extra"), // only here
      },
      (table) => [
        pgIndex("bookings_status_idx").on(table.id, table.status), // other column order
        pgUniqueIndex("bookings_open_code_uq").on(table.code), // no longer partial
        pgIndex("bookings_held_idx").on(table.heldAt), // only here
        // and the CHECK is lost
      ],
    );
    // a composite key in another order, under another SQL name; a unique constraint declared
    // on the table in one file and on the column in the other is the same constraint
    const sqliteMemberships = sqliteTable(
      "memberships",
      { groupId: text("group_id").notNull(), userId: text("user_id").notNull(), ref: text("ref") },
      (table) => [primaryKey({ columns: [table.groupId, table.userId] }), unique("memberships_ref_uq").on(table.ref)],
    );
    const pgMemberships = pgTable(
      "members",
      { groupId: pgText("group_id").notNull(), userId: pgText("user_id").notNull(), ref: pgText("ref").unique("memberships_ref_uq") },
      (table) => [pgPrimaryKey({ columns: [table.userId, table.groupId] })],
    );
    const withTimestamp = pgTable("bookings", { heldAt: timestamp("held_at", { withTimezone: true, mode: "date", precision: 3 }) });
    // when they are compared
    const differences = schemaDifferences(
      schemaShape({ bookings: sqliteVersion, memberships: sqliteMemberships, onlyLeft: sqliteVersion, bookingStatuses: ["OPEN", "CLOSED"] }),
      schemaShape({ bookings: pgVersion, memberships: pgMemberships, renamed: withTimestamp, bookingStatuses: ["OPEN"] }),
    );
    // then each difference is one line, naming the table, the thing and both values
    expect(differences).toEqual([
      'table bookings column extra: only in pg',
      'table bookings column held_at dataType: sqlite="date" pg="boolean"',
      'table bookings column seats default: sqlite=1 pg=2',
      'table bookings column status notNull: sqlite=true pg=false',
      'table bookings column status enumValues: sqlite=["OPEN","CLOSED"] pg=["OPEN","CLOSED","VOID"]',
      'table bookings unique bookings_code_unique: only in sqlite',
      'table bookings index bookings_held_idx: only in pg',
      `table bookings index bookings_open_code_uq where: sqlite="status = 'OPEN'" pg=null`,
      'table bookings index bookings_status_idx columns: sqlite=["status","id"] pg=["id","status"]',
      'table bookings foreign key (parent_id) onDelete: sqlite="cascade" pg="no action"',
      "table bookings check bookings_seats_positive: only in sqlite",
      'table memberships name: sqlite="memberships" pg="members"',
      'table memberships primaryKey: sqlite=["group_id","user_id"] pg=["user_id","group_id"]',
      "table onlyLeft: only in sqlite",
      "table renamed: only in pg",
      'export bookingStatuses: sqlite=["OPEN","CLOSED"] pg=["OPEN"]',
    ]);
  });

  it("finds nothing between a table and itself", () => {
    const shape = schemaShape(sqliteSchema);
    expect(schemaDifferences(shape, shape)).toEqual([]);
  });
});

/*
 * The row types too, at compile time: a service written against one file must type-check
 * against the other. A table whose select or insert row differs is named in the tsc error.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type TableExports = { [K in keyof typeof sqliteSchema & keyof typeof pgSchema]: (typeof sqliteSchema)[K] extends Table ? K : never }[keyof typeof sqliteSchema & keyof typeof pgSchema];
type RowTypeMismatch = {
  [K in TableExports]: (typeof sqliteSchema)[K] extends Table
    ? (typeof pgSchema)[K] extends Table
      ? Same<InferSelectModel<(typeof sqliteSchema)[K]>, InferSelectModel<(typeof pgSchema)[K]>> extends true
        ? Same<InferInsertModel<(typeof sqliteSchema)[K]>, InferInsertModel<(typeof pgSchema)[K]>> extends true
          ? never
          : K
        : K
      : K
    : never;
}[TableExports];
export const rowTypesAgree: [RowTypeMismatch] extends [never] ? true : `row types differ: ${RowTypeMismatch}` = true;
