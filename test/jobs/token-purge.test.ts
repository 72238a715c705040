import { count } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registrantTokens } from "../../src/db/tables.js";
import { createCourse, REGISTER, registrationInput } from "../helpers/factories.js";
import { emailedToken } from "../helpers/outbox.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { drain } from "../mail/mail-harness.js";

/*
 * Every email mints a manage link and every sign-in a link and a session, so the worker
 * forgets the ones that no longer open anything: links and sessions past their expiry at
 * once, manage links a year after the event ends (when they stop working).
 */

const REQUEST_LINK = /* GraphQL */ `mutation ($email: EmailAddress!) { requestSignInLink(email: $email) { ok } }`;
const SIGN_IN = /* GraphQL */ `mutation ($token: String!) { signInWithLink(token: $token) { sessionToken } }`;
const MINE = /* GraphQL */ `query { myRegistrations { reference } }`;

const DAY = 86_400_000;

describe("the worker forgets registrant tokens that no longer open anything", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
  });
  afterAll(() => server.close());

  const tokensByKind = async () =>
    Object.fromEntries(
      (await server.app.deps.db.select({ kind: registrantTokens.kind, n: count() }).from(registrantTokens).groupBy(registrantTokens.kind)).map((row) => [row.kind, row.n]),
    );

  it("sign-in links and sessions once expired; manage links a year after the course (4–6 Oct 2023) ends", async () => {
    // given a registration whose email carried a manage link, and a registrant who signed in
    const course = await createCourse(server);
    const email = "purge@clinic.example";
    const { data } = await server.gql(REGISTER, { input: registrationInput(course, {}, { email }) });
    const manageLink = await emailedToken(server, email, "REGISTRATION_RECEIVED", "manage");
    await server.gql(REQUEST_LINK, { email });
    const link = await emailedToken(server, email, "REGISTRANT_SIGN_IN", "sign-in");
    const session = (await server.gql(SIGN_IN, { token: link })).data.signInWithLink.sessionToken as string;
    expect(await tokensByKind()).toEqual({ MANAGE: 1, SIGN_IN_LINK: 1, SESSION: 1 });

    // when 31 days pass: the link (20 minutes) and the session (30 days) have expired
    server.clock.advance(31 * DAY);
    await drain(server.app.worker);

    // then only the manage link is left, and it still works
    expect(await tokensByKind()).toEqual({ MANAGE: 1 });
    expect((await server.gql(MINE, {}, { token: manageLink })).data.myRegistrations).toEqual([{ reference: data.register.registration.reference }]);
    expect((await server.gql(MINE, {}, { token: session })).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    // when the course has been over for a year and a day
    server.clock.set(new Date(Date.parse("2023-10-06T23:30:00Z") + 366 * DAY));
    await drain(server.app.worker);

    // then the manage link is gone too
    expect(await tokensByKind()).toEqual({});
  });
});
