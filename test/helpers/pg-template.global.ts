import type { TestProject } from "vitest/node";
import { applyMigrations } from "../../src/db/migrate.js";
import { openPostgres } from "../../src/db/postgres.js";
import { createScratchDatabase, postgresTestUrl } from "./postgres.js";

/**
 * vitest globalSetup of the postgres project: one database migrated with drizzle-pg/, which
 * every test server copies (CREATE DATABASE … TEMPLATE), dropped when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = await createScratchDatabase(postgresTestUrl, "events_template");
  const db = openPostgres(template.url, { poolSize: 1 });
  try {
    await applyMigrations(db);
  } finally {
    await db.close();
  }
  project.provide("postgresTemplate", template.name);
  return () => template.drop();
}
