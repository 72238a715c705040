// SQLite only: it checks src/'s use of the data layer (dialect-independent) and the SQLite Db's transactions on a real file.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBusyError } from "../../src/db/database.js";
import { applyMigrations } from "../../src/db/migrate.js";
import { openSqlite, type SqliteDb } from "../../src/db/sqlite.js";
import { organisations } from "../../src/db/tables.js";
import { createFileTransport } from "../../src/mail/transport.js";
import { projectRoot } from "../helpers/process.js";

/*
 * Writes go through the one Db interface (src/db/database.ts): `db.transaction(async (tx) => …)`.
 * On SQLite it runs on the single writer connection behind an in-process queue and takes
 * the write lock at BEGIN (IMMEDIATE): a deferred transaction that read first and upgraded
 * later would fail at once with "database is locked" when another process (a second API
 * server, the separate worker) had written meanwhile. Inside a body only `tx` works: the
 * root handle would run outside the transaction (and, on SQLite, wait for the writer its
 * own caller holds). Everything dialect-specific stays in src/db/.
 */

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** src/'s files outside src/db/, as [name relative to the project, text]. */
function servicesSources(): [string, string][] {
  return sourceFiles(join(projectRoot, "src"))
    .map((file) => relative(projectRoot, file))
    .filter((name) => !name.startsWith("src/db/"))
    .map((name) => [name, readFileSync(join(projectRoot, name), "utf8")]);
}

const lineOf = (source: string, index: number) => source.slice(0, index).split("\n").length;

/** Every match of `pattern` in src/ outside src/db/, as "file:line". */
function occurrences(pattern: RegExp): string[] {
  const found: string[] = [];
  for (const [name, source] of servicesSources()) {
    for (const match of source.matchAll(pattern)) found.push(`${name}:${lineOf(source, match.index)}`);
  }
  return found;
}

/** The expression a `.transaction(` call is made on: the identifiers and dots right before it. */
function receiverOf(source: string, dot: number): string {
  return /[\w$.]*$/.exec(source.slice(Math.max(0, dot - 80), dot))![0];
}

describe("src/ uses the data layer only through the Db interface", () => {
  it("imports no driver and touches no driver connection outside src/db/", () => {
    expect(occurrences(/from\s+["'](better-sqlite3|pg|drizzle-orm\/(better-sqlite3|node-postgres)[^"']*)["']/g)).toEqual([]);
    expect(occurrences(/\$client\b/g)).toEqual([]);
    expect(occurrences(/\bwriteTransaction\b|write-transaction\.js/g)).toEqual([]);
  });

  it("starts transactions only with Db.transaction, never with raw BEGIN, COMMIT or SAVEPOINT", () => {
    const notOnADb: string[] = [];
    for (const [name, source] of servicesSources()) {
      for (const match of source.matchAll(/\.transaction\s*\(/g)) {
        const receiver = receiverOf(source, match.index);
        // deps.db, ctx.deps.db, this.db, db: a Db (the type checker holds them to the interface)
        if (!/(^|\.)db$/.test(receiver)) notOnADb.push(`${name}:${lineOf(source, match.index)} (${receiver}.transaction)`);
      }
    }
    expect(notOnADb).toEqual([]);
    expect(occurrences(/["'`]\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/g)).toEqual([]);
  });

  it("uses SQLite's own connections (.writer, .reader) outside src/db/ only where it must", () => {
    // The response cache reads PRAGMA data_version to see other processes' commits.
    const allowed = new Set(["src/cache/data-version.ts"]);
    const found = occurrences(/\.(writer|reader)\b\s*\.\s*(prepare|exec|pragma|backup|transaction)\b/g).filter((place) => !allowed.has(place.split(":")[0]!));
    expect(found).toEqual([]);
  });

  it("the SQLite Db takes the write lock at BEGIN, and has no deferred BEGIN anywhere", () => {
    const source = readFileSync(join(projectRoot, "src/db/sqlite.ts"), "utf8");
    expect(source).toContain('writer.prepare("BEGIN IMMEDIATE")');
    expect([...source.matchAll(/["'`]BEGIN\b(?!\s+IMMEDIATE)/g)]).toEqual([]);
  });
});

describe("the SQLite Db's transactions, on a real file", () => {
  let dir: string;
  let db: SqliteDb;
  let made = 0;
  const now = new Date("2023-06-01T12:00:00Z");
  const organisation = (slug: string) => ({ id: `org_${++made}`, slug, name: slug, createdAt: now, updatedAt: now });
  const slugs = async () => (await db.select({ slug: organisations.slug }).from(organisations).orderBy(organisations.slug)).map((row) => row.slug);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "write-transactions-"));
    db = openSqlite(join(dir, "events.db"));
    await applyMigrations(db);
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("commits a body's writes, seen by reads outside the transaction", async () => {
    // when
    const result = await db.transaction(async (tx) => {
      await tx.insert(organisations).values(organisation("committed")).run();
      return "done";
    });

    // then
    expect(result).toBe("done");
    expect(await slugs()).toContain("committed");
  });

  it("refuses the root handle inside a body: a read on it throws, and the body's writes roll back", async () => {
    // when
    const attempt = db.transaction(async (tx) => {
      await tx.insert(organisations).values(organisation("root-handle")).run();
      await db.select().from(organisations);
    });

    // then
    await expect(attempt).rejects.toThrow(/inside a transaction body: use the body's tx/);
    await expect(
      db.transaction(async () => {
        await db.rows(sql`SELECT 1`);
      }),
    ).rejects.toThrow(/inside a transaction body/);
    expect(await slugs()).not.toContain("root-handle");
  });

  it("refuses a nested transaction inside a body", async () => {
    // when
    const attempt = db.transaction(async (tx) => {
      await tx.insert(organisations).values(organisation("outer")).run();
      await db.transaction(async (inner) => inner.insert(organisations).values(organisation("nested")).run());
    });

    // then
    await expect(attempt).rejects.toThrow(/Nested transactions are refused/);
    expect(await slugs()).not.toContain("outer");
    expect(await slugs()).not.toContain("nested");
  });

  it("without the guard (production's default), a nested transaction cannot hang: its wait for the writer ends at maxWaitMs, and the outer body rolls back", async () => {
    // given a second Db on the same file, as production opens it
    const unguarded = openSqlite(join(dir, "events.db"), { transactionGuard: false, maxWaitMs: 300 });
    try {
      // when
      const started = performance.now();
      const attempt = unguarded.transaction(async (tx) => {
        await tx.insert(organisations).values(organisation("unguarded-outer")).run();
        await unguarded.transaction(async (inner) => inner.insert(organisations).values(organisation("unguarded-nested")).run());
      });

      // then
      await expect(attempt).rejects.toBeInstanceOf(EventBusyError);
      const waitedMs = performance.now() - started;
      expect(waitedMs).toBeGreaterThanOrEqual(290);
      expect(waitedMs).toBeLessThan(3_000);
      expect(await slugs()).not.toContain("unguarded-outer");
      expect(await slugs()).not.toContain("unguarded-nested");
      // and the writer is free again: the abandoned turn ran nothing
      await unguarded.transaction(async (tx) => tx.insert(organisations).values(organisation("unguarded-after")).run());
      expect(await slugs()).toContain("unguarded-after");
      expect(await slugs()).not.toContain("unguarded-nested");
    } finally {
      await unguarded.close();
    }
  });

  it("a transaction that waits for the writer longer than maxWaitMs fails with EVENT_BUSY, and the ones after it still run", async () => {
    // given
    const impatient = openSqlite(join(dir, "events.db"), { maxWaitMs: 200 });
    let releaseFirst!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => (releaseFirst = resolve));
    try {
      // when the first holds the writer past the second's timeout
      const first = impatient.transaction(async (tx) => {
        await tx.insert(organisations).values(organisation("impatient-first")).run();
        await firstMayEnd;
      });
      const second = impatient.transaction(async (tx) => tx.insert(organisations).values(organisation("impatient-second")).run());
      await expect(second).rejects.toBeInstanceOf(EventBusyError);
      const third = impatient.transaction(async (tx) => tx.insert(organisations).values(organisation("impatient-third")).run());
      releaseFirst();

      // then
      await first;
      await third;
      expect(await slugs()).toEqual(expect.arrayContaining(["impatient-first", "impatient-third"]));
      expect(await slugs()).not.toContain("impatient-second");
    } finally {
      releaseFirst();
      await impatient.close();
    }
  });

  it("refuses network I/O inside a body: sending an email there throws, and the body's writes roll back", async () => {
    // given
    const transport = createFileTransport(join(dir, "mail"), { info: () => {}, warn: () => {}, error: () => {} } as never);
    const message = { from: "a@example.org", to: "b@example.org", subject: "hello", text: "hello", messageId: "<x@example.org>" };

    // when
    const attempt = db.transaction(async (tx) => {
      await tx.insert(organisations).values(organisation("mailer")).run();
      await transport.send(message);
    });

    // then
    await expect(attempt).rejects.toThrow(/sending an email inside a transaction body/);
    expect(await slugs()).not.toContain("mailer");
    // Outside a body the same send works.
    await expect(transport.send(message)).resolves.toBeDefined();
  });

  it("rolls back every write of a body that throws, and rethrows", async () => {
    // when
    const attempt = db.transaction(async (tx) => {
      await tx.insert(organisations).values(organisation("rolled-back")).run();
      await tx.update(organisations).set({ name: "renamed" }).where(eq(organisations.slug, "committed")).run();
      throw new Error("the body failed");
    });

    // then
    await expect(attempt).rejects.toThrow("the body failed");
    expect(await slugs()).not.toContain("rolled-back");
    const [committed] = await db.select({ name: organisations.name }).from(organisations).where(eq(organisations.slug, "committed"));
    expect(committed!.name).toBe("committed");
    expect(db.writer.inTransaction).toBe(false);
  });

  it("undoes a savepoint's writes alone", async () => {
    // when
    await db.transaction(async (tx) => {
      await tx.insert(organisations).values(organisation("kept")).run();
      await expect(
        db.savepoint(tx, async () => {
          await tx.insert(organisations).values(organisation("undone")).run();
          throw new Error("this part fails");
        }),
      ).rejects.toThrow("this part fails");
    });

    // then
    expect(await slugs()).toContain("kept");
    expect(await slugs()).not.toContain("undone");
  });

  it("runs two concurrent transactions one after the other: the second sees the first's commit", async () => {
    // given
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => (releaseFirst = resolve));

    // when both start at once, the first waiting (holding the writer) until the second has been asked for
    const first = db.transaction(async (tx) => {
      order.push("first begins");
      await tx.insert(organisations).values(organisation("first")).run();
      await firstMayEnd;
      order.push("first commits");
    });
    const second = db.transaction(async (tx) => {
      order.push("second begins");
      return (await tx.select({ slug: organisations.slug }).from(organisations).where(eq(organisations.slug, "first"))).map((row) => row.slug);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    order.push("released");
    releaseFirst();

    // then
    await first;
    expect(await second).toEqual(["first"]);
    expect(order).toEqual(["first begins", "released", "first commits", "second begins"]);
  });

  it("reads outside a transaction on the read-only connection: a write through it is refused", async () => {
    // then
    expect(db.reader).not.toBe(db.writer);
    expect(db.reader.readonly).toBe(true);
    let refused: unknown;
    try {
      db.reader.prepare("INSERT INTO organisations (id, slug, name, created_at, updated_at) VALUES ('org_x', 'x', 'x', 0, 0)").run();
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ code: "SQLITE_READONLY" });

    // and a read outside a transaction does not wait for the writer, nor see what it has not committed
    let releaseWriter!: () => void;
    const writerMayEnd = new Promise<void>((resolve) => (releaseWriter = resolve));
    let inserted!: () => void;
    const insertDone = new Promise<void>((resolve) => (inserted = resolve));
    const holding = db.transaction(async (tx) => {
      await tx.insert(organisations).values(organisation("uncommitted")).run();
      inserted();
      await writerMayEnd;
    });
    await insertDone;
    expect(await slugs()).not.toContain("uncommitted");
    releaseWriter();
    await holding;
    expect(await slugs()).toContain("uncommitted");
  });
});
