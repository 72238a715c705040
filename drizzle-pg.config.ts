import { defineConfig } from "drizzle-kit";

// The PostgreSQL dialect's migrations, generated from its own schema file (see src/db/schema.pg.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.pg.ts",
  out: "./drizzle-pg",
});
