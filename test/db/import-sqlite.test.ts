import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { createScratchDatabase, postgresAddress, postgresForTests, postgresTestUrl, type ScratchDatabase } from "../helpers/postgres.js";
import { runCli, spawnServer, type ServerProcess } from "../helpers/process.js";
import { apiClient, createUpcomingCourse, type ApiClient } from "../helpers/shared-database.js";

/*
 * The README's move from SQLite to PostgreSQL, as an operator makes it: a server on a SQLite
 * file takes registrations in every state, payments, an attendance override, a partner and
 * its key, and its worker sends the emails; the server stops, `import-sqlite FILE` copies the
 * file into a new PostgreSQL database, and a server on PostgreSQL must answer the same
 * queries with the same answers (ids, statuses, seats, timestamps), take the same keys and
 * tokens, and carry on writing. A second import, and files that are not this application's
 * current database, are refused without changing anything.
 *
 * Needs a PostgreSQL server (TEST_DATABASE_URL, else the local one): without one it is
 * skipped with a notice, and REQUIRE_POSTGRES=1 makes its absence a failure. This file
 * handles its own databases, so vitest.config.ts runs it in the "sqlite" project only.
 */

const adminKey = `ak_${randomBytes(24).toString("hex")}`;

const address = postgresAddress(postgresTestUrl);
const unavailable = await postgresForTests("the import-sqlite tests");

const REVIEW = /* GraphQL */ `
  mutation ($input: ReviewRegistrationInput!) { reviewRegistration(input: $input) { registration { status } userErrors { code message } } }
`;
const PAY = /* GraphQL */ `
  mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { registration { status } userErrors { code message } } }
`;
const CANCEL = /* GraphQL */ `
  mutation ($input: CancelRegistrationInput!) { cancelRegistration(input: $input) { registration { status } userErrors { code message } } }
`;
const OVERRIDE = /* GraphQL */ `
  mutation ($input: AttendanceOverrideInput!) { overrideAttendance(input: $input) { registration { status } userErrors { code message } } }
`;
const CREATE_ORGANISATION = /* GraphQL */ `
  mutation ($input: OrganisationInput!) { createOrganisation(input: $input) { organisation { id } userErrors { code message } } }
`;
const CREATE_API_KEY = /* GraphQL */ `
  mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } userErrors { code message } } }
`;
const SET_PARTNERS = /* GraphQL */ `
  mutation ($eventId: ID!, $partners: [EventPartnerInput!]!) { setEventPartners(eventId: $eventId, partners: $partners) { event { id } userErrors { code message } } }
`;

/** The course as the public and an admin see it. */
const EVENT = /* GraphQL */ `
  query ($id: ID!) {
    event(id: $id) {
      id slug title status capacity seatsRemaining requiresReview startsAt endsAt registrationOpen
      price { amountMinor currency }
      venue { id name timeZone }
      sessions { id title startsAt endsAt }
      eligibilityCriteria { id position required }
      partners { organisation { id slug name } roles }
      registrations(first: 50) { totalCount edges { node { id status waitlistPosition } } }
    }
  }
`;
/** The course as anonymous callers see it (the registrations are not theirs to list). */
const PUBLIC_EVENT = EVENT.replace(/ *registrations\(first: 50\)[^\n]*\n/, "");
/** Every registration of the course, with everything an admin reads of one. */
const REGISTRATIONS = /* GraphQL */ `
  query ($id: ID!) {
    registrations(eventId: $id, first: 50) {
      totalCount
      edges {
        node {
          id reference status waitlistPosition reviewNote cancelledAt cancelReason offerExpiresAt createdAt updatedAt creditsEarned
          source { id slug }
          attendee { firstName lastName email profession employer }
          eligibilityAnswers { criterion { id } met details }
          payment { amountDue { amountMinor currency } amountPaid { amountMinor } paidInFull payments { id amount { amountMinor currency } method reference receivedAt } }
          accessGrant { status scheduledFor grantedAt }
          attendance { session { id } minutesPresent status }
          timeline { actor action at fromStatus toStatus note }
        }
      }
    }
  }
`;
/** The outbox, the keys and the organisations. */
const ADMIN_LISTS = /* GraphQL */ `
  query {
    emailDeliveries(first: 50) { totalCount edges { node { id kind status to subject messageId attempts createdAt sentAt nextAttemptAt lastError } } }
    apiKeys { id name kind prefix createdAt revokedAt lastUsedAt organisation { id slug } }
    organisations(first: 20) { totalCount edges { node { id slug name email } } }
  }
`;
const REGISTRATION_EMAILS = /* GraphQL */ `query ($id: ID!) { registration(id: $id) { id emails { id kind status to messageId } } }`;
const OWN_REGISTRATION = /* GraphQL */ `query ($id: ID!) { registration(id: $id) { id reference status waitlistPosition } }`;
const PARTNER_REGISTRATIONS = /* GraphQL */ `query { registrations(first: 50) { totalCount edges { node { id status } } } }`;

function ok<T = any>(result: { data: T; errors?: unknown }): T {
  expect(result.errors).toBeUndefined();
  return result.data;
}

async function mutate(api: ApiClient, query: string, variables: Record<string, unknown>): Promise<any> {
  const data = ok(await api.admin(query, variables));
  const payload = Object.values(data as Record<string, any>)[0];
  expect(payload.userErrors).toEqual([]);
  return payload;
}

async function register(api: ApiClient, course: TestCourse) {
  const data = ok(await api.gql(REGISTER, { input: registrationInput(course) }));
  expect(data.register.userErrors).toEqual([]);
  return { id: data.register.registration.id as string, status: data.register.registration.status as string, token: data.register.manageToken as string };
}

/** Everything the comparison reads, in one object. */
async function snapshot(api: ApiClient, course: TestCourse, registrationIds: string[]) {
  const event = ok(await api.gql(EVENT, { id: course.id }, adminKey)).event;
  const anonymousEvent = ok(await api.gql(PUBLIC_EVENT, { id: course.id })).event;
  const registrations = ok(await api.admin(REGISTRATIONS, { id: course.id })).registrations;
  const lists = ok(await api.admin(ADMIN_LISTS));
  const emailsByRegistration = await Promise.all(registrationIds.map(async (id) => ok(await api.admin(REGISTRATION_EMAILS, { id })).registration));
  return { event, anonymousEvent, registrations, lists, emailsByRegistration };
}

describe.skipIf(unavailable !== null)(`import-sqlite FILE into PostgreSQL${unavailable ? ` (skipped: no PostgreSQL at ${address}: ${unavailable})` : ""}`, () => {
  let dir: string;
  let dbFile: string;
  let target: ScratchDatabase;
  const servers: ServerProcess[] = [];
  /** The server on PostgreSQL after the import, kept for the later tests. */
  let pgApi: ApiClient | undefined;
  let course: TestCourse;
  let ids: Record<"confirmed" | "awaitingPayment" | "pending" | "waitlisted" | "cancelled", string>;
  let waitlistedToken: string;
  let partnerKey: string;
  let before: Awaited<ReturnType<typeof snapshot>>;

  const importCli = (file: string) => runCli(["import-sqlite", file], { DATABASE_URL: target.url });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "events-import-"));
    dbFile = join(dir, "events.db");
    target = await createScratchDatabase(postgresTestUrl, "events_import");
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await target?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("copies every table, and the server on PostgreSQL answers as the one on SQLite did", async () => {
    // given a SQLite deployment whose worker sends its emails into a folder
    const mailDir = join(dir, "mail");
    const sqliteServer = await spawnServer({ DATABASE_URL: `file:${dbFile}`, ADMIN_API_KEY: adminKey, SEED_DEMO: "false", WORKER: "true", WORKER_INTERVAL_MS: "200", RATE_LIMITS: "off", MAIL_DIR: mailDir });
    servers.push(sqliteServer);
    const api = apiClient(sqliteServer.baseUrl, adminKey);

    // a venue, a course of three seats with review, and a partner with a secret key
    ({ course } = await createUpcomingCourse(api, { capacity: 3 }));
    const organisation = (await mutate(api, CREATE_ORGANISATION, { input: { slug: "import-partner", name: "Import Partner", email: "office@partner.example" } })).organisation;
    partnerKey = (await mutate(api, CREATE_API_KEY, { input: { kind: "SECRET", name: "partner server", organisationId: organisation.id } })).key;
    await mutate(api, SET_PARTNERS, { eventId: course.id, partners: [{ organisationId: organisation.id, roles: ["HOST"] }] });

    // registrations in every state: confirmed and paid (with an attendance override), approved
    // and part paid, awaiting review, waitlisted, and a waitlisted one cancelled
    const confirmed = await register(api, course);
    await mutate(api, REVIEW, { input: { registrationId: confirmed.id, decision: "APPROVE", note: "Meets all criteria" } });
    await mutate(api, PAY, { input: { registrationId: confirmed.id, amountMinor: 25000, currency: "USD", method: "card", reference: "ch_1" } });
    expect((await mutate(api, PAY, { input: { registrationId: confirmed.id, amountMinor: 100000, currency: "USD", method: "bank transfer", receivedAt: "2025-06-01T10:00:00Z" } })).registration.status).toBe("CONFIRMED");
    const firstSession = (ok(await api.gql(PUBLIC_EVENT, { id: course.id })).event.sessions as { id: string }[])[0]!;
    await mutate(api, OVERRIDE, { input: { registrationId: confirmed.id, sessionId: firstSession.id, minutesPresent: 420, reason: "left an hour early" } });
    const awaitingPayment = await register(api, course);
    await mutate(api, REVIEW, { input: { registrationId: awaitingPayment.id, decision: "APPROVE" } });
    await mutate(api, PAY, { input: { registrationId: awaitingPayment.id, amountMinor: 50000, currency: "USD", method: "card", reference: "ch_2" } });
    const pending = await register(api, course);
    const waitlisted = await register(api, course);
    const cancelled = await register(api, course);
    expect([pending.status, waitlisted.status, cancelled.status]).toEqual(["PENDING_REVIEW", "WAITLISTED", "WAITLISTED"]);
    await mutate(api, CANCEL, { input: { registrationId: cancelled.id, reason: "found another course" } });
    ids = { confirmed: confirmed.id, awaitingPayment: awaitingPayment.id, pending: pending.id, waitlisted: waitlisted.id, cancelled: cancelled.id };
    waitlistedToken = waitlisted.token;

    // and the worker has sent every email
    const deadline = Date.now() + 30_000;
    for (;;) {
      const outbox = ok(await api.admin(ADMIN_LISTS)).emailDeliveries;
      if (outbox.totalCount > 0 && outbox.edges.every((edge: any) => edge.node.status === "SENT")) break;
      if (Date.now() > deadline) throw new Error(`the worker did not send every email: ${JSON.stringify(outbox.edges.map((edge: any) => edge.node.status))}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    before = await snapshot(api, course, Object.values(ids));
    expect(before.event.seatsRemaining).toBe(0);
    expect(before.registrations.edges.map((edge: any) => edge.node.status).sort()).toEqual(["AWAITING_PAYMENT", "CANCELLED", "CONFIRMED", "PENDING_REVIEW", "WAITLISTED"]);
    // (ADMIN_API_KEY is kept as a key too: the admin key, the partner's and the server's own)
    expect(before.lists.apiKeys.map((key: any) => key.kind).sort()).toContain("SECRET");
    const emails = before.lists.emailDeliveries.totalCount;
    expect(emails).toBeGreaterThanOrEqual(8);
    expect(readdirSync(mailDir).length).toBeGreaterThan(0);
    await sqliteServer.stop();

    // when the file is imported into the new, empty PostgreSQL database
    const imported = await importCli(dbFile);
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    expect(imported.stdout).toContain("imported; every row of the SQLite file is in PostgreSQL");
    const rows = Object.fromEntries([...imported.stdout.matchAll(/^([a-z_]+) +(\d+)$/gm)].map((match) => [match[1], Number(match[2])]));
    expect(rows).toMatchObject({ venues: 1, events: 1, organisations: 1, api_keys: before.lists.apiKeys.length, event_partners: 1, registrations: 5, payments: 3, attendance_overrides: 1, email_deliveries: emails });
    expect(rows.registration_changes).toBeGreaterThanOrEqual(10);
    // (the seat counts are rebuilt by PostgreSQL's triggers, not copied)
    expect(rows).not.toHaveProperty("registration_counts");

    // then a server on PostgreSQL answers the same, with the same admin key
    const pgServer = await spawnServer({ DATABASE_URL: target.url, ADMIN_API_KEY: adminKey, SEED_DEMO: "false", WORKER: "false", RATE_LIMITS: "off", MAIL_DIR: mailDir });
    servers.push(pgServer);
    pgApi = apiClient(pgServer.baseUrl, adminKey);
    const after = await snapshot(pgApi, course, Object.values(ids));
    // (one key more: outside production a server on PostgreSQL keeps its local admin key in
    // ./data of its working folder, and spawnServer starts each process in a new one)
    const added = after.lists.apiKeys.filter((key: any) => !before.lists.apiKeys.some((kept: any) => kept.id === key.id));
    expect(added).toEqual([expect.objectContaining({ kind: "ADMIN", name: "local admin (npm start)" })]);
    expect({ ...after, lists: { ...after.lists, apiKeys: after.lists.apiKeys.filter((key: any) => !added.includes(key)) } }).toEqual(before);

    // and the partner's key and the registrant's manage token still open what they opened
    const partner = ok(await pgApi.gql(PARTNER_REGISTRATIONS, {}, partnerKey)).registrations;
    expect(partner.edges.map((edge: any) => edge.node.id).sort()).toEqual(Object.values(ids).sort());
    const own = ok(await pgApi.gql(OWN_REGISTRATION, { id: ids.waitlisted }, waitlistedToken)).registration;
    expect(own).toMatchObject({ id: ids.waitlisted, status: "WAITLISTED", waitlistPosition: 1 });
    // as does the local admin key the SQLite server made (kept next to its file)
    const sqliteLocalKey = readFileSync(join(dir, "local-admin-key"), "utf8").trim();
    expect(ok(await pgApi.gql(OWN_REGISTRATION, { id: ids.confirmed }, sqliteLocalKey)).registration).toMatchObject({ id: ids.confirmed, status: "CONFIRMED" });
  }, 150_000);

  it("refuses a second import, a missing file and a file of an older version, and changes nothing", async () => {
    expect(pgApi, "needs the import of the test above").toBeDefined();
    // a copy of the file as an older version left it: its last migration not applied
    const older = join(dir, "older.db");
    const source = new Database(dbFile, { readonly: true });
    source.prepare("VACUUM INTO ?").run(older);
    source.close();
    const copy = new Database(older);
    copy.prepare("DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)").run();
    copy.close();

    const [again, missing, olderVersion] = await Promise.all([importCli(dbFile), importCli(join(dir, "no-such.db")), importCli(older)]);
    for (const result of [again, missing, olderVersion]) {
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stderr).toMatch(/^nothing imported: /);
      expect(result.stdout).not.toContain("imported;");
    }
    expect(again.stderr).toContain("the PostgreSQL database already has data");
    expect(missing.stderr).toContain(`there is no file ${join(dir, "no-such.db")}`);
    expect(olderVersion.stderr).toContain("was last migrated by an older version of this application");

    // the server on PostgreSQL still answers exactly as before (but for the keys' lastUsedAt)
    expect(await snapshot(pgApi!, course, Object.values(ids))).toEqual({ ...before, lists: { ...before.lists, apiKeys: expect.any(Array) } });
  }, 60_000);

  it("carries on writing on PostgreSQL after the import (the id sequences continue after the copied rows)", async () => {
    expect(pgApi, "needs the import of the test above").toBeDefined();
    const api = pgApi!;
    // a new registration: a row in registrations, its timeline and the outbox
    const latecomer = await register(api, course);
    expect(latecomer.status).toBe("WAITLISTED");
    // an admin decision on an imported one: another timeline row
    expect((await mutate(api, REVIEW, { input: { registrationId: ids.pending, decision: "APPROVE" } })).registration.status).toBe("AWAITING_PAYMENT");
    const { registrations } = ok(await api.admin(REGISTRATIONS, { id: course.id }));
    const byId = new Map(registrations.edges.map((edge: any) => [edge.node.id, edge.node]));
    expect(registrations.totalCount).toBe(6);
    expect(byId.get(latecomer.id)).toMatchObject({ status: "WAITLISTED", waitlistPosition: 2, timeline: [expect.objectContaining({ action: "REGISTERED" })] });
    expect((byId.get(ids.pending) as any).timeline.map((change: any) => change.action)).toEqual(["REGISTERED", "APPROVED"]);
    const outbox = ok(await api.admin(ADMIN_LISTS)).emailDeliveries;
    expect(outbox.totalCount).toBe(before.lists.emailDeliveries.totalCount + 2);
    expect(outbox.edges.filter((edge: any) => edge.node.status === "QUEUED")).toHaveLength(2);
    expect(ok(await api.gql(PUBLIC_EVENT, { id: course.id })).event.seatsRemaining).toBe(0);
  }, 60_000);
});
