import { defineConfig } from "vitest/config";
import { postgresAddress, postgresTestUrl, postgresUnavailable } from "./test/helpers/postgres.js";

/*
 * Every test file runs on SQLite (the "sqlite" project) and again on PostgreSQL (the
 * "postgres" project) when the server of TEST_DATABASE_URL (default: the local one on
 * 127.0.0.1:5432) answers. Without it the run says so at the start and tests SQLite
 * alone, unless REQUIRE_POSTGRES=1 (CI), which fails the run instead.
 */

/** Tests of SQLite itself (its file, its statement cache, its query plans, its migrations of older files). */
const sqliteOnly: string[] = [
  "test/db/write-transactions.test.ts",
  "test/db/statement-cache.test.ts",
  "test/db/registration-counts-migration.test.ts",
  "test/db/forget-clear-tokens.test.ts",
  "test/registrations/bounded-reads.test.ts", // SQLite's query plans
  "test/runtime/load-shedding.test.ts",
  // They make their own SQLite files and PostgreSQL databases (backups, the import): one run is enough.
  "test/db/backup-restore.test.ts",
  "test/db/import-sqlite.test.ts",
];

/**
 * Tests that never open the database the run is about: pure functions, the config's
 * refusals (before anything is opened), the engines field, the schema file, and the test
 * runner's own PostgreSQL checks. The postgres project would run them again unchanged.
 */
const noDatabase: string[] = [
  "test/mail/date-span.test.ts",
  "test/mail/ics-hostile-values.test.ts",
  "test/mail/retry-policy.test.ts",
  "test/runtime/config.test.ts",
  "test/runtime/node-engines.test.ts",
  "test/runtime/read-queue.test.ts",
  "test/runtime/test-services.test.ts",
  "test/schema/schema-file.test.ts",
  "test/widget/idempotency-key.test.ts",
];

/** Tests that need PostgreSQL's own behaviour (several processes on one server, its migrations). */
const postgresOnly: string[] = ["test/db/pg-migrations.test.ts", "test/scale-out/**"];

const unavailable = await postgresUnavailable(postgresTestUrl);
if (unavailable && process.env.REQUIRE_POSTGRES === "1") {
  throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL at ${postgresAddress(postgresTestUrl)} does not answer: ${unavailable}`);
}
// vitest reads this file more than once per run (the root, then each project): one notice.
if (unavailable && !process.env.POSTGRES_NOTICE_SHOWN) {
  process.env.POSTGRES_NOTICE_SHOWN = "1";
  console.warn(`\n  PostgreSQL at ${postgresAddress(postgresTestUrl)} does not answer (${unavailable}):\n  running the suite on SQLite only. Start PostgreSQL (see the README's Tests section) or set TEST_DATABASE_URL.\n`);
}

export default defineConfig({
    resolve: {
      // One copy of graphql for the app and the tests (see STACK.md).
      alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
    },
    test: {
      testTimeout: 30_000,
      hookTimeout: 60_000,
      pool: "forks",
      // vitest's default is one worker per core but one (a single worker on CI's 2 cores),
      // and most of a test's time is spent waiting: for the servers and CLIs it starts, for
      // PostgreSQL, for SMTP. Three workers took the whole run (both databases) from about
      // 11 minutes to 5 on 2 cores.
      maxWorkers: 3,
      setupFiles: ["test/helpers/setup.ts"],
      // Builds dist/ (npm run build): the processes the tests start run it, and the servers serve its widget.
      globalSetup: ["test/helpers/build.global.ts"],
      // One module graph per worker for all its files: importing the app (its TypeScript
      // transformed) cost 1.5–3 s per file, a third of the suite's time. Each test starts
      // its own servers and databases, and nothing in test/ mocks modules.
      isolate: false,
      projects: [
        { extends: true, test: { name: "sqlite", include: ["test/**/*.test.ts"], exclude: postgresOnly } },
        ...(unavailable
          ? []
          : [
              {
                extends: true as const,
                test: {
                  name: "postgres",
                  include: ["test/**/*.test.ts"],
                  exclude: [...sqliteOnly, ...noDatabase],
                  env: { TEST_DIALECT: "postgres" },
                  globalSetup: ["test/helpers/build.global.ts", "test/helpers/pg-template.global.ts"],
                },
              },
            ]),
      ],
    },
});
