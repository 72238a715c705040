import { inject } from "vitest";
import { createScratchDatabase, postgresTestUrl, type ScratchDatabase } from "./postgres.js";

/*
 * Which database the suite runs on. vitest.config.ts runs every test file twice, as the
 * "sqlite" project and (when PostgreSQL answers) the "postgres" project, which sets
 * TEST_DIALECT=postgres. On PostgreSQL each server a test starts gets a database of its
 * own, copied from a template migrated once per run (pg-template.global.ts): as fresh as a
 * new SQLite file, without migrating for every server.
 */
export const testDialect: "sqlite" | "postgres" = process.env.TEST_DIALECT === "postgres" ? "postgres" : "sqlite";

export const onPostgres = testDialect === "postgres";

/** A fresh PostgreSQL database from the run's migrated template; drop it when done. */
export async function freshPostgresDatabase(): Promise<ScratchDatabase> {
  const template = inject("postgresTemplate");
  if (!template) throw new Error("no PostgreSQL template: run the postgres project through vitest.config.ts");
  return createScratchDatabase(postgresTestUrl, "events_t", template);
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The migrated template database of this run (postgres project only). */
    postgresTemplate: string | undefined;
  }
}
