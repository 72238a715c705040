import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { createScratchDatabase, postgresAddress, postgresTestUrl, postgresForTests, type ScratchDatabase } from "../helpers/postgres.js";
import { runCli, spawnServer, type ServerProcess } from "../helpers/process.js";
import { apiClient, createUpcomingCourse, type ApiClient } from "../helpers/shared-database.js";

/*
 * The README's backups, taken of a live server the way an operator takes them: `backup FILE`
 * (SQLite) and pg_dump (PostgreSQL) while the server runs, more writes after the backup, then
 * a restore and a new server on the restored database, which must answer with the state at
 * backup time: the registrations made before it, none of the later ones, the same seats.
 *
 * The SQLite half needs nothing. The PostgreSQL half needs a server (TEST_DATABASE_URL, else
 * the local one) and pg_dump/pg_restore; without them it is skipped with a notice, and
 * REQUIRE_POSTGRES=1 makes an unreachable PostgreSQL a failure. This file handles its own
 * databases, so vitest.config.ts runs it in the "sqlite" project only.
 */

const run = promisify(execFile);
const adminKey = `ak_${randomBytes(24).toString("hex")}`;

const address = postgresAddress(postgresTestUrl);
const unavailable = await postgresForTests("the PostgreSQL backup and restore test");
/** pg_dump on PATH, else where Debian puts it; null when neither runs. pg_restore lives beside it. */
async function findPgDump(): Promise<string | null> {
  for (const candidate of ["pg_dump", "/usr/bin/pg_dump"]) {
    try {
      await run(candidate, ["--version"]);
      return candidate;
    } catch {
      // not this one
    }
  }
  return null;
}
const pgDump = await findPgDump();
const pgRestore = pgDump === "pg_dump" ? "pg_restore" : join(dirname(pgDump ?? "/usr/bin/pg_dump"), "pg_restore");
const postgresSkip = unavailable ? `no PostgreSQL at ${address} (${unavailable})` : pgDump ? null : "pg_dump is not installed (apt-get install postgresql-client)";
if (!unavailable && !pgDump) console.warn(`NOTICE: skipping the PostgreSQL backup and restore test: ${postgresSkip}; put pg_dump and pg_restore on PATH to run it.`);

const serverEnv = (databaseUrl: string, dir: string) => ({ DATABASE_URL: databaseUrl, ADMIN_API_KEY: adminKey, SEED_DEMO: "false", WORKER: "false", RATE_LIMITS: "off", MAIL_DIR: join(dir, "mail") });

const REVIEW = /* GraphQL */ `
  mutation ($input: ReviewRegistrationInput!) { reviewRegistration(input: $input) { registration { status } userErrors { code message } } }
`;
const PAY = /* GraphQL */ `
  mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { registration { status } userErrors { code message } } }
`;
const CANCEL = /* GraphQL */ `
  mutation ($input: CancelRegistrationInput!) { cancelRegistration(input: $input) { registration { status } userErrors { code message } } }
`;

/** What the API says about the course: its seats and every registration, as an admin sees them. */
const STATE = /* GraphQL */ `
  query ($id: ID!) {
    event(id: $id) {
      id slug capacity seatsRemaining
      registrations(first: 50) { totalCount }
    }
    registrations(eventId: $id, first: 50) {
      totalCount
      edges { node { id reference status waitlistPosition cancelledAt createdAt updatedAt attendee { email } payment { amountPaid { amountMinor } paidInFull payments { id amount { amountMinor } method } } timeline { action at } } }
    }
  }
`;
const REGISTRATION = /* GraphQL */ `query ($id: ID!) { registration(id: $id) { id status } }`;

async function stateOf(api: ApiClient, course: TestCourse) {
  const result = await api.admin(STATE, { id: course.id });
  expect(result.errors).toBeUndefined();
  return result.data;
}

async function register(api: ApiClient, course: TestCourse): Promise<{ id: string; status: string }> {
  const { data, errors } = await api.gql(REGISTER, { input: registrationInput(course) });
  expect(errors).toBeUndefined();
  expect(data.register.userErrors).toEqual([]);
  return data.register.registration;
}

async function mutate(api: ApiClient, query: string, input: Record<string, unknown>): Promise<{ status: string }> {
  const { data, errors } = await api.admin(query, { input });
  expect(errors).toBeUndefined();
  const payload = Object.values(data)[0] as { registration: { status: string }; userErrors: unknown[] };
  expect(payload.userErrors).toEqual([]);
  return payload.registration;
}

/** Writes before the backup: a paid, confirmed place and an application awaiting review (3 seats). */
async function writeBeforeBackup(api: ApiClient) {
  const { course } = await createUpcomingCourse(api, { capacity: 3 });
  const confirmed = await register(api, course);
  await mutate(api, REVIEW, { registrationId: confirmed.id, decision: "APPROVE" });
  expect((await mutate(api, PAY, { registrationId: confirmed.id, amountMinor: 125000, currency: "USD", method: "card", reference: "ch_before" })).status).toBe("CONFIRMED");
  const pending = await register(api, course);
  expect(pending.status).toBe("PENDING_REVIEW");
  return { course, before: [confirmed.id, pending.id] };
}

/** Writes after the backup: two more applications (the course fills, one waits), a payment and a cancellation. */
async function writeAfterBackup(api: ApiClient, course: TestCourse, before: string[]) {
  const third = await register(api, course);
  const waiting = await register(api, course);
  expect([third.status, waiting.status]).toEqual(["PENDING_REVIEW", "WAITLISTED"]);
  await mutate(api, PAY, { registrationId: before[1], amountMinor: 50000, currency: "USD", method: "bank transfer", reference: "after" });
  expect((await mutate(api, CANCEL, { registrationId: before[0], reason: "after the backup" })).status).toBe("CANCELLED");
  return [third.id, waiting.id];
}

/** The restored server answers with the state at backup time, and knows nothing written later. */
async function expectStateOfBackup(api: ApiClient, course: TestCourse, atBackup: any, later: string[]) {
  const restored = await stateOf(api, course);
  expect(restored).toEqual(atBackup);
  expect(restored.event).toMatchObject({ capacity: 3, seatsRemaining: 1, registrations: { totalCount: 2 } });
  expect(restored.registrations.edges.map((edge: any) => edge.node.status).sort()).toEqual(["CONFIRMED", "PENDING_REVIEW"]);
  for (const id of later) {
    const { data, errors } = await api.admin(REGISTRATION, { id });
    expect(errors).toBeUndefined();
    expect(data.registration).toBeNull();
  }
}

describe("backup FILE of a live SQLite server, and restoring it", () => {
  let dir: string;
  let dbFile: string;
  let databaseUrl: string;
  let backupFile: string;
  const servers: ServerProcess[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "events-backup-"));
    dbFile = join(dir, "events.db");
    databaseUrl = `file:${dbFile}`;
    backupFile = join(dir, "backups", "events-backup.db");
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("restores exactly the state at backup time, not the writes after it", async () => {
    // given a running server with a course and two registrations
    const server = await spawnServer(serverEnv(databaseUrl, dir));
    servers.push(server);
    const api = apiClient(server.baseUrl, adminKey);
    const { course, before } = await writeBeforeBackup(api);
    const atBackup = await stateOf(api, course);
    expect(atBackup.event).toMatchObject({ seatsRemaining: 1, registrations: { totalCount: 2 } });

    // when the backup is taken while it runs (into a folder that does not exist yet)
    const backup = await runCli(["backup", backupFile], { DATABASE_URL: databaseUrl });
    expect(backup, backup.stderr).toMatchObject({ code: 0 });
    expect(backup.stdout).toContain(`wrote a copy of the database to ${backupFile}`);
    expect(statSync(backupFile).size).toBeGreaterThan(0);
    // (VACUUM INTO writes a file complete by itself: no WAL goes with it)
    expect(existsSync(`${backupFile}-wal`)).toBe(false);

    // and the server carries on writing after it
    const later = await writeAfterBackup(api, course, before);
    const afterBackup = await stateOf(api, course);
    expect(afterBackup.event).toMatchObject({ seatsRemaining: 0, registrations: { totalCount: 4 } });
    await server.stop();

    // then, restored as the README says (the copy in place of the file, no -wal, no -shm)
    copyFileSync(backupFile, dbFile);
    rmSync(`${dbFile}-wal`, { force: true });
    rmSync(`${dbFile}-shm`, { force: true });
    const restored = await spawnServer(serverEnv(databaseUrl, dir));
    servers.push(restored);
    await expectStateOfBackup(apiClient(restored.baseUrl, adminKey), course, atBackup, later);
    await restored.stop();
  }, 120_000);

  it("never overwrites a file, and refuses a PostgreSQL DATABASE_URL", async () => {
    // (a database of its own: the test above may have failed)
    const own = join(dir, "refusals");
    mkdirSync(own);
    const existing = join(own, "yesterday.db");
    writeFileSync(existing, "yesterday's backup");
    const pgTarget = join(own, "from-postgres.db");
    const ownUrl = `file:${join(own, "events.db")}`;
    const [overwrite, postgres] = await Promise.all([
      runCli(["backup", existing], { DATABASE_URL: ownUrl }),
      runCli(["backup", pgTarget], { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/events_never_opened" }),
    ]);
    expect(overwrite.code, overwrite.stdout + overwrite.stderr).toBe(1);
    expect(overwrite.stderr).toContain(`${existing} already exists; a backup never overwrites a file`);
    expect(readFileSync(existing, "utf8")).toBe("yesterday's backup");

    expect(postgres.code, postgres.stdout + postgres.stderr).toBe(1);
    expect(postgres.stderr).toContain("backup copies a SQLite database; for PostgreSQL use pg_dump");
    expect(existsSync(pgTarget)).toBe(false);
  }, 60_000);
});

describe.skipIf(postgresSkip !== null)(`pg_dump of a live PostgreSQL server, and pg_restore into a new database${postgresSkip ? ` (skipped: ${postgresSkip})` : ""}`, () => {
  let dir: string;
  let source: ScratchDatabase;
  let target: ScratchDatabase;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "events-pgdump-"));
    // two empty databases: the server migrates the first at start, pg_restore fills the second
    [source, target] = await Promise.all([createScratchDatabase(postgresTestUrl, "events_backup_src"), createScratchDatabase(postgresTestUrl, "events_backup_dst")]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await Promise.all([source?.drop(), target?.drop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("restores exactly the state at dump time, not the writes after it", async () => {
    // given a running server with a course and two registrations
    const server = await spawnServer(serverEnv(source.url, dir));
    servers.push(server);
    const api = apiClient(server.baseUrl, adminKey);
    const { course, before } = await writeBeforeBackup(api);
    const atBackup = await stateOf(api, course);

    // when it is dumped while it runs, as the README says
    const dumpFile = join(dir, "events.dump");
    await run(pgDump!, ["--format=custom", `--file=${dumpFile}`, `--dbname=${source.url}`]);
    expect(statSync(dumpFile).size).toBeGreaterThan(0);

    // and the server carries on writing after it
    const later = await writeAfterBackup(api, course, before);
    expect((await stateOf(api, course)).event).toMatchObject({ seatsRemaining: 0, registrations: { totalCount: 4 } });
    await server.stop();

    // then the dump restores into a new, empty database without errors (pg_restore exits 1 on any)
    await run(pgRestore, ["--no-owner", `--dbname=${target.url}`, dumpFile]);
    // and a server started on it answers with the state at dump time (the seat counts were
    // restored as rows, and their triggers created after the data, so nothing counts twice)
    const restored = await spawnServer(serverEnv(target.url, dir));
    servers.push(restored);
    await expectStateOfBackup(apiClient(restored.baseUrl, adminKey), course, atBackup, later);
    await restored.stop();
  }, 120_000);
});
