import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqliteDb } from "../../src/db/sqlite.js";
import { events } from "../../src/db/tables.js";
import { snapshotDatabase } from "../helpers/db-snapshot.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { deliveries, drain, receivedEmail, startMailHarness, type MailHarness } from "../mail/mail-harness.js";

/*
 * A copy of the database (a backup, a leaked file) must not hand out access: no token
 * that authenticates or acts is kept in clear anywhere in it, while every link the
 * emails carry works, an idempotent retry still gets its manage token back, and manage
 * tokens stop working a year after the course.
 */

const VIEWER = /* GraphQL */ `query { viewer { role } }`;
const READ_REGISTRATION = /* GraphQL */ `query ($id: ID!) { registration(id: $id) { id reference } }`;
const REQUEST_SIGN_IN = /* GraphQL */ `mutation ($email: EmailAddress!) { requestSignInLink(email: $email) { ok } }`;
const SIGN_IN = /* GraphQL */ `mutation ($token: String!) { signInWithLink(token: $token) { sessionToken userErrors { code } } }`;
const CONFIRM = /* GraphQL */ `mutation ($token: String!) { confirmNewsletterSubscription(token: $token) { ok } }`;
const UNSUBSCRIBE = /* GraphQL */ `mutation ($token: String!) { unsubscribeFromNewsletter(token: $token) { ok } }`;
const RESEND = /* GraphQL */ `mutation ($id: ID!) { resendEmail(deliveryId: $id) { id status } }`;

const publicUrl = "https://courses.example";
/** Anything shaped like one of our secrets: a prefix and at least 16 base64url characters. */
const tokenShape = /(?<![A-Za-z0-9])(?:mt|sl|st|nc|nu|ak|sk)_[A-Za-z0-9_-]{16,}/g;
const DAY_MS = 24 * 3_600_000;

function linkToken(text: string, page: string): string {
  const match = new RegExp(`${publicUrl}/${page}#([A-Za-z0-9_%-]+)`).exec(text);
  expect(match, `a ${page} link in:\n${text}`).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

describe("no live credential is stored in clear", () => {
  let mail: MailHarness;
  let course: TestCourse;
  const email = "ada.lovelace@clinic.example";
  const idempotencyKey = "8d3c2f0e-5b1a-4c7e-9f21-6a0b3d4e5f60";
  let registration: { id: string; reference: string };
  let registerToken: string;
  let emailedManageToken: string;
  let sessionToken: string;
  let input: ReturnType<typeof registrationInput>;

  /** Whether a candidate secret does anything: authenticates, or is accepted by the mutation it belongs to. */
  async function isLive(token: string): Promise<boolean> {
    const gql = mail.server.gql;
    if (/^(mt|st|ak|sk)_/.test(token)) {
      const result = await gql(VIEWER, {}, { token });
      return result.status === 200 && !result.errors;
    }
    if (token.startsWith("sl_")) return !!(await gql(SIGN_IN, { token })).data.signInWithLink.sessionToken;
    if (token.startsWith("nc_")) return (await gql(CONFIRM, { token })).data.confirmNewsletterSubscription.ok;
    if (token.startsWith("nu_")) return (await gql(UNSUBSCRIBE, { token })).data.unsubscribeFromNewsletter.ok;
    return false;
  }

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z", env: { PUBLIC_URL: publicUrl } });
    course = await createCourse(mail.server);
    // given a registration with an idempotency key and the newsletter, and a sign-in link asked for
    input = registrationInput(course, { idempotencyKey, subscribeToNewsletter: true }, { email });
    const { data } = await mail.server.gql(REGISTER, { input });
    expect(data.register.userErrors).toEqual([]);
    registration = data.register.registration;
    registerToken = data.register.manageToken;
    await mail.server.gql(REQUEST_SIGN_IN, { email });
    // when the worker sends everything over SMTP
    await drain(mail.server.app.worker);
  });
  afterAll(() => mail.close());

  it("sends every email, and each one's links work: the manage link reads the booking, the sign-in link works once, the newsletter links act", async () => {
    expect((await deliveries(mail.server)).every((row) => row.status === "SENT")).toBe(true);

    const received = await receivedEmail(mail, registration.id, "REGISTRATION_RECEIVED");
    emailedManageToken = linkToken(received.parsed.text!, "manage");
    const read = await mail.server.gql(READ_REGISTRATION, { id: registration.id }, { token: emailedManageToken });
    expect(read.data.registration).toEqual({ id: registration.id, reference: registration.reference });

    const [signInRow] = await deliveries(mail.server, { kind: "REGISTRANT_SIGN_IN" });
    const signInEmail = mail.smtp.received.find((message) => message.messageId === signInRow!.messageId)!;
    const link = linkToken(signInEmail.parsed.text!, "sign-in");
    const first = await mail.server.gql(SIGN_IN, { token: link });
    expect(first.data.signInWithLink.sessionToken).toMatch(/^st_/);
    sessionToken = first.data.signInWithLink.sessionToken;
    expect((await mail.server.gql(SIGN_IN, { token: link })).data.signInWithLink).toEqual({ sessionToken: null, userErrors: [{ code: "INVALID" }] });

    const [newsletterRow] = await deliveries(mail.server, { kind: "NEWSLETTER_CONFIRM" });
    const newsletterEmail = mail.smtp.received.find((message) => message.messageId === newsletterRow!.messageId)!;
    expect((await mail.server.gql(CONFIRM, { token: linkToken(newsletterEmail.parsed.text!, "newsletter/confirm") })).data.confirmNewsletterSubscription.ok).toBe(true);
    expect((await mail.server.gql(UNSUBSCRIBE, { token: linkToken(newsletterEmail.parsed.text!, "newsletter/unsubscribe") })).data.unsubscribeFromNewsletter.ok).toBe(true);
  });

  it("replays an idempotent retry with the same manage token, which works", async () => {
    const retry = await mail.server.gql(REGISTER, { input });
    expect(retry.data.register.userErrors).toEqual([]);
    expect(retry.data.register.registration.id).toBe(registration.id);
    expect(retry.data.register.manageToken).toBe(registerToken);
    expect((await mail.server.gql(READ_REGISTRATION, { id: registration.id }, { token: registerToken })).data.registration.id).toBe(registration.id);
    // and the same key with another input is still a conflict
    const other = await mail.server.gql(REGISTER, { input: { ...input, accessibilityNeeds: "Step-free seating" } });
    expect(other.data.register.userErrors).toEqual([expect.objectContaining({ code: "IDEMPOTENCY_CONFLICT" })]);
  });

  it("a resent sign-in email carries a fresh link that works, though the first was spent", async () => {
    const [signInRow] = await deliveries(mail.server, { kind: "REGISTRANT_SIGN_IN" });
    const resent = await mail.server.admin(RESEND, { id: signInRow!.id });
    await drain(mail.server.app.worker);
    const copy = (await deliveries(mail.server, { kind: "REGISTRANT_SIGN_IN" })).find((row) => row.id === resent.data.resendEmail.id)!;
    expect(copy.status).toBe("SENT");
    const message = mail.smtp.received.find((received) => received.messageId === copy.messageId)!;
    expect((await mail.server.gql(SIGN_IN, { token: linkToken(message.parsed.text!, "sign-in") })).data.signInWithLink.sessionToken).toMatch(/^st_/);
  });

  it("keeps no token that works anywhere in a copy of the database: not in any text column of any table, nor (SQLite) in the file's bytes", async () => {
    // given the candidates check really tells live tokens (a positive control)
    for (const token of [registerToken, emailedManageToken, sessionToken, mail.server.adminKey]) expect(await isLive(token)).toBe(true);
    // when every text value of every table is read (JSON values' strings too)
    const candidates = new Set<string>();
    let textValues = 0;
    const visit = (value: unknown): void => {
      if (typeof value === "string") {
        textValues++;
        for (const match of value.matchAll(tokenShape)) candidates.add(match[0]);
      } else if (value && typeof value === "object" && !(value instanceof Date)) {
        for (const inner of Object.values(value)) visit(inner);
      }
    };
    for (const rows of Object.values(await snapshotDatabase(mail.server, { ignore: [] }))) visit(rows);
    const db = mail.server.app.deps.db;
    if (db.dialect === "sqlite") {
      // and, on SQLite, a copy of the database file, the live file and its write-ahead log are read byte by byte
      const copyPath = join(mail.server.dir, "copy.db");
      await (db as SqliteDb).writer.backup(copyPath);
      const databasePath = mail.server.app.deps.config.databasePath!;
      for (const file of [databasePath, `${databasePath}-wal`, copyPath]) {
        if (existsSync(file)) for (const match of readFileSync(file).toString("latin1").matchAll(tokenShape)) candidates.add(match[0]);
      }
    }
    // then nothing found there does anything
    expect(textValues).toBeGreaterThan(100);
    const live: string[] = [];
    for (const candidate of candidates) if (await isLive(candidate)) live.push(candidate);
    expect(live).toEqual([]);
  });

  it("refuses manage tokens 365 days after the event's last session ends, with a clear message; sessions and admin keys are not affected", async () => {
    const [event] = await mail.server.app.deps.db.select({ endsAt: events.endsAt }).from(events).where(eq(events.id, course.id));
    const endsAt = event!.endsAt.getTime();
    expect(new Date(endsAt).toISOString()).toBe("2023-10-06T23:30:00.000Z");
    // a day short of the year: both kinds of manage token still work
    mail.server.clock.set(new Date(endsAt + 364 * DAY_MS));
    for (const token of [registerToken, emailedManageToken]) {
      expect((await mail.server.gql(READ_REGISTRATION, { id: registration.id }, { token })).data.registration.id).toBe(registration.id);
    }
    // a year after: refused
    mail.server.clock.set(new Date(endsAt + 365 * DAY_MS));
    for (const token of [registerToken, emailedManageToken]) {
      const refused = await mail.server.gql(READ_REGISTRATION, { id: registration.id }, { token });
      expect(refused.status).toBe(401);
      expect(refused.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(refused.errors?.[0]?.message).toBe("This manage link has expired; ask for a sign-in link.");
    }
    expect(await isLive(mail.server.adminKey)).toBe(true);
  });
});
