import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../helpers/process.js";

/*
 * A deferred SQLite transaction reads first and takes the write lock later; when another
 * process (a second API server, the separate worker) has written meanwhile, the upgrade
 * fails at once with "database is locked", without waiting for the busy timeout. So every
 * write transaction in src/ must take the lock at BEGIN: through writeTransaction() from
 * src/db/write-transaction.ts, or at least with { behavior: "immediate" }.
 */

const helper = "src/db/write-transaction.ts";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The text of the call that starts at `open` (the index of its "("), up to the matching ")". */
function callText(source: string, open: number): string {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === "(") depth++;
    else if (source[i] === ")" && --depth === 0) return source.slice(open, i + 1);
  }
  return source.slice(open);
}

/** Every `.transaction(` call in src/ that does not ask for an IMMEDIATE transaction, as "file:line". */
function deferredTransactions(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(join(projectRoot, "src"))) {
    const name = relative(projectRoot, file);
    if (name === helper) continue;
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/\.transaction\s*\(/g)) {
      const call = callText(source, match.index + match[0].length - 1);
      if (!/behavior:\s*["']immediate["']/.test(call)) found.push(`${name}:${source.slice(0, match.index).split("\n").length}`);
    }
    // raw SQL: a "BEGIN" string that is not "BEGIN IMMEDIATE"
    for (const match of source.matchAll(/\bBEGIN(?!\s+IMMEDIATE)\b/g)) {
      if (/["'`]\s*BEGIN/.test(source.slice(Math.max(0, match.index - 2), match.index + 5))) found.push(`${name}:${source.slice(0, match.index).split("\n").length} (raw BEGIN)`);
    }
  }
  return found;
}

describe("write transactions", () => {
  it("every transaction in src/ takes the write lock at BEGIN (IMMEDIATE)", () => {
    expect(deferredTransactions()).toEqual([]);
  });

  it("the helper itself is IMMEDIATE, and the rules' modules use it", () => {
    expect(readFileSync(join(projectRoot, helper), "utf8")).toMatch(/db\.transaction\(fn, \{ behavior: "immediate" \}\)/);
    for (const file of ["src/modules/registrations/registrations.service.ts", "src/modules/events/events.service.ts", "src/jobs/reminders.ts"]) {
      expect(readFileSync(join(projectRoot, file), "utf8"), file).toContain("writeTransaction(");
    }
  });
});
