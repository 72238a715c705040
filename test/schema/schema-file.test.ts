import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printAppSchema, schemaFile } from "../../src/schema.js";

describe("schema/schema.graphql", () => {
  it("is the schema the code builds (run `npm run schema:emit` after changing types)", () => {
    expect(readFileSync(schemaFile, "utf8")).toBe(printAppSchema());
  });
});
