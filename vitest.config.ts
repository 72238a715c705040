import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // One copy of graphql for the app and the tests (see STACK.md).
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    setupFiles: ["test/helpers/setup.ts"],
    // Builds the registration widget the servers serve (dist/widget/v1/registration.js).
    globalSetup: ["test/helpers/build-widget.global.ts"],
  },
});
