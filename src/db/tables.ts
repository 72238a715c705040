import * as sqlite from "./schema.js";
import * as postgres from "./schema.pg.js";
import type { Dialect } from "./database.js";

/*
 * The tables the services query, as live bindings: SQLite's (schema.ts) until a
 * PostgreSQL database is opened, then PostgreSQL's twins (schema.pg.ts) under the same
 * names. Services import tables from here and are typed against schema.ts; the two files
 * give the same row types (test/db/schema-drift.test.ts), so one service runs on either.
 *
 * A process speaks one dialect: its databases are all SQLite or all PostgreSQL. Opening
 * one of the other dialect after the first throws instead of querying the wrong tables.
 * (Tools that read both, such as the SQLite → PostgreSQL copy, use the schema files.)
 */

export let organisations = sqlite.organisations;
export let venues = sqlite.venues;
export let events = sqlite.events;
export let eventPartners = sqlite.eventPartners;
export let sessions = sqlite.sessions;
export let learningObjectives = sqlite.learningObjectives;
export let eligibilityCriteria = sqlite.eligibilityCriteria;
export let prerequisiteCourses = sqlite.prerequisiteCourses;
export let apiKeys = sqlite.apiKeys;
export let registrations = sqlite.registrations;
export let registrationCounts = sqlite.registrationCounts;
export let eligibilityAnswers = sqlite.eligibilityAnswers;
export let payments = sqlite.payments;
export let registrationChanges = sqlite.registrationChanges;
export let idempotencyKeys = sqlite.idempotencyKeys;
export let emailDeliveries = sqlite.emailDeliveries;
export let registrantTokens = sqlite.registrantTokens;
export let newsletterSubscriptions = sqlite.newsletterSubscriptions;
export let attendanceRecords = sqlite.attendanceRecords;
export let attendanceOverrides = sqlite.attendanceOverrides;
export let evaluations = sqlite.evaluations;
export let certificates = sqlite.certificates;
export let webhookEndpoints = sqlite.webhookEndpoints;
export let webhookDeliveries = sqlite.webhookDeliveries;

let chosen: Dialect | null = null;

/** The dialect the tables above speak (SQLite until a PostgreSQL database is opened). */
export function tablesDialect(): Dialect {
  return chosen ?? "sqlite";
}

/** Points every binding above at the dialect's tables; called by the database openers. */
export function useDialectTables(dialect: Dialect): void {
  if (chosen === dialect) return;
  if (chosen !== null) throw new Error(`This process already uses ${chosen} tables; one process speaks one dialect (asked for ${dialect}).`);
  chosen = dialect;
  if (dialect === "sqlite") return;
  // The PostgreSQL tables have the SQLite ones' row types (schema-drift.test.ts); the casts say so.
  organisations = postgres.organisations as unknown as typeof sqlite.organisations;
  venues = postgres.venues as unknown as typeof sqlite.venues;
  events = postgres.events as unknown as typeof sqlite.events;
  eventPartners = postgres.eventPartners as unknown as typeof sqlite.eventPartners;
  sessions = postgres.sessions as unknown as typeof sqlite.sessions;
  learningObjectives = postgres.learningObjectives as unknown as typeof sqlite.learningObjectives;
  eligibilityCriteria = postgres.eligibilityCriteria as unknown as typeof sqlite.eligibilityCriteria;
  prerequisiteCourses = postgres.prerequisiteCourses as unknown as typeof sqlite.prerequisiteCourses;
  apiKeys = postgres.apiKeys as unknown as typeof sqlite.apiKeys;
  registrations = postgres.registrations as unknown as typeof sqlite.registrations;
  registrationCounts = postgres.registrationCounts as unknown as typeof sqlite.registrationCounts;
  eligibilityAnswers = postgres.eligibilityAnswers as unknown as typeof sqlite.eligibilityAnswers;
  payments = postgres.payments as unknown as typeof sqlite.payments;
  registrationChanges = postgres.registrationChanges as unknown as typeof sqlite.registrationChanges;
  idempotencyKeys = postgres.idempotencyKeys as unknown as typeof sqlite.idempotencyKeys;
  emailDeliveries = postgres.emailDeliveries as unknown as typeof sqlite.emailDeliveries;
  registrantTokens = postgres.registrantTokens as unknown as typeof sqlite.registrantTokens;
  newsletterSubscriptions = postgres.newsletterSubscriptions as unknown as typeof sqlite.newsletterSubscriptions;
  attendanceRecords = postgres.attendanceRecords as unknown as typeof sqlite.attendanceRecords;
  attendanceOverrides = postgres.attendanceOverrides as unknown as typeof sqlite.attendanceOverrides;
  evaluations = postgres.evaluations as unknown as typeof sqlite.evaluations;
  certificates = postgres.certificates as unknown as typeof sqlite.certificates;
  webhookEndpoints = postgres.webhookEndpoints as unknown as typeof sqlite.webhookEndpoints;
  webhookDeliveries = postgres.webhookDeliveries as unknown as typeof sqlite.webhookDeliveries;
}

export { emailKinds, registrationStatuses, webhookEventTypes } from "./schema.js";
