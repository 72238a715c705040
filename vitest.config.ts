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
 * Tests whose code never reaches the database the run is about (pure functions, the
 * config's validation, npm's signals, the build, the test runner itself) or that spawn
 * processes on SQLite files of their own: the postgres project would run them again
 * unchanged, in a CI run that has 15 minutes for both.
 */
const sameOnBoth: string[] = [
  "test/mail/date-span.test.ts",
  "test/mail/ics-hostile-values.test.ts",
  "test/mail/retry-policy.test.ts",
  "test/runtime/compiled-start.test.ts",
  "test/runtime/config.test.ts",
  "test/runtime/node-engines.test.ts",
  "test/runtime/npm-signals.test.ts",
  "test/runtime/read-queue.test.ts",
  "test/runtime/startup-errors.test.ts",
  "test/runtime/test-services.test.ts",
  "test/schema/schema-file.test.ts",
  "test/widget/idempotency-key.test.ts",
];

/**
 * Layers above the data layer, whose database access is what the API tests exercise on
 * both: the browser pages (widget, IDE, registrant pages), input validation that refuses
 * before anything is read or written, and the keys CLI and the admin key at start (the
 * same openDeps and services as every command; test/db/import-sqlite and test/scale-out
 * start processes on PostgreSQL). On SQLite only, to keep CI's run of both in 15 minutes.
 */
const aboveTheDataLayer: string[] = [
  "test/widget/registration-widget.test.ts",
  "test/ide/playground.test.ts",
  "test/ide/ide-admin-key-host.test.ts",
  "test/pages/registrant-pages.test.ts",
  "test/pages/landing-page.test.ts",
  "test/security/input-hygiene.test.ts",
  "test/security/fuzz.test.ts",
  "test/security/input-lengths.test.ts",
  "test/security/graphql-http-audit.test.ts",
  "test/runtime/keys-cli.test.ts",
  "test/runtime/admin-api-key.test.ts",
  "test/runtime/production-banner.test.ts",
  // The HTTP layer: request limits, CORS, request ids, rate limits (kept in memory or
  // Redis, never in the database), and the keys' checks (every test's server makes its
  // admin key through the same service on both).
  "test/security/limits.test.ts",
  "test/security/cors.test.ts",
  "test/security/rate-limits.test.ts",
  "test/security/rate-limits-shared.test.ts",
  "test/security/input-cursors.test.ts",
  "test/security/credential-messages.test.ts",
  "test/security/api-keys.test.ts",
  "test/runtime/request-id.test.ts",
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
                  exclude: [...sqliteOnly, ...sameOnBoth, ...aboveTheDataLayer],
                  env: { TEST_DIALECT: "postgres" },
                  globalSetup: ["test/helpers/build.global.ts", "test/helpers/pg-template.global.ts"],
                },
              },
            ]),
      ],
    },
});
