import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { emailedToken, outboxFor } from "../helpers/outbox.js";
import { rowCounts } from "../helpers/db.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const REQUEST_LINK = /* GraphQL */ `
  mutation ($email: EmailAddress!) { requestSignInLink(email: $email) { ok userErrors { code } } }
`;

const SIGN_IN = /* GraphQL */ `
  mutation ($token: String!) { signInWithLink(token: $token) { sessionToken expiresAt userErrors { field code message } } }
`;

const MINE = /* GraphQL */ `
  query { viewer { role email } myRegistrations { id reference status event { id } } }
`;

const EARLY_ACCESS = /* GraphQL */ `
  mutation ($input: RequestEarlyAccessInput!) {
    requestEarlyAccess(input: $input) { registration { accessGrant { status earlyAccessRequestedAt earlyAccessReason } } userErrors { field code message } }
  }
`;

const GRANT_EARLY = /* GraphQL */ `
  mutation ($id: ID!) { grantEarlyAccess(registrationId: $id) { registration { accessGrant { status grantedAt } } userErrors { code message } } }
`;

const PAY = /* GraphQL */ `
  mutation ($id: ID!) { recordPayment(input: { registrationId: $id, amountMinor: 125000, currency: "USD", method: "card" }) { registration { status accessGrant { status scheduledFor } } userErrors { code } } }
`;

const APPROVE = /* GraphQL */ `
  mutation ($id: ID!) { reviewRegistration(input: { registrationId: $id, decision: APPROVE }) { registration { status } } }
`;

describe("registrant sign-in and self-service", () => {
  let server: TestServer;
  let course: TestCourse;
  let other: TestCourse;
  const email = "melanie.klein@clinic.example";

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    course = await createCourse(server);
    other = await createCourse(server);
    await server.gql(REGISTER, { input: registrationInput(course, {}, { email }) });
    await server.gql(REGISTER, { input: registrationInput(other, {}, { email: email.toUpperCase() }) });
    await server.gql(REGISTER, { input: registrationInput(course, {}, { email: "someone.else@clinic.example" }) });
  });
  afterAll(() => server.close());

  it("answers ok for any address, and mails a link only to one that has registrations", async () => {
    const before = await rowCounts(server);
    const unknown = await server.gql(REQUEST_LINK, { email: "nobody@nowhere.example" });
    expect(unknown.data.requestSignInLink).toEqual({ ok: true, userErrors: [] });
    expect(await rowCounts(server)).toEqual(before);
    const known = await server.gql(REQUEST_LINK, { email: "Melanie.Klein@clinic.example" });
    expect(known.data.requestSignInLink).toEqual(unknown.data.requestSignInLink);
    expect((await outboxFor(server, email)).filter((row) => row.kind === "REGISTRANT_SIGN_IN")).toHaveLength(1);
  });

  it("exchanges a link once for a session that lists the person's registrations only", async () => {
    // given a fresh link
    await server.gql(REQUEST_LINK, { email });
    const token = await emailedToken(server, email, "REGISTRANT_SIGN_IN", "sign-in");
    // when
    const { data } = await server.gql(SIGN_IN, { token });
    // then
    expect(data.signInWithLink.userErrors).toEqual([]);
    expect(data.signInWithLink.sessionToken).toMatch(/^st_/);
    expect(data.signInWithLink.expiresAt).toBe("2023-07-01T12:00:00.000Z");
    const mine = await server.gql(MINE, {}, { token: data.signInWithLink.sessionToken });
    expect(mine.data.viewer).toEqual({ role: "REGISTRANT", email });
    expect(mine.data.myRegistrations.map((r: { event: { id: string } }) => r.event.id).sort()).toEqual([course.id, other.id].sort());
    // and the link cannot be used again
    const again = await server.gql(SIGN_IN, { token });
    expect(again.data.signInWithLink).toMatchObject({ sessionToken: null, userErrors: [expect.objectContaining({ code: "INVALID", field: ["token"] })] });
  });

  it("refuses an expired link and an unknown one", async () => {
    await server.gql(REQUEST_LINK, { email });
    const token = await emailedToken(server, email, "REGISTRANT_SIGN_IN", "sign-in");
    server.clock.advance(21 * 60_000);
    expect((await server.gql(SIGN_IN, { token })).data.signInWithLink.userErrors[0].code).toBe("INVALID");
    expect((await server.gql(SIGN_IN, { token: "sl_made-up" })).data.signInWithLink.userErrors[0].code).toBe("INVALID");
    server.clock.set("2023-06-01T12:00:00Z");
  });

  it("counts a link's 20 minutes from when the email is sent, not from when it was asked for", async () => {
    // given a link asked for while the mail worker was behind by half an hour
    await server.gql(REQUEST_LINK, { email });
    server.clock.advance(30 * 60_000);
    // when it is sent and followed 19 minutes later
    const token = await emailedToken(server, email, "REGISTRANT_SIGN_IN", "sign-in");
    server.clock.advance(19 * 60_000);
    // then it still works
    expect((await server.gql(SIGN_IN, { token })).data.signInWithLink.sessionToken).toMatch(/^st_/);
    server.clock.set("2023-06-01T12:00:00Z");
  });

  it("needs a registrant for myRegistrations", async () => {
    expect((await server.gql(MINE)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect((await server.gql(MINE, {}, { token: server.adminKey })).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await server.gql(MINE, {}, { token: "st_expired-or-made-up" })).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("lets the registrant ask for early access, mails the contact, and lets an admin grant it once paid", async () => {
    // given a registration with its manage token
    const { data } = await server.gql(REGISTER, { input: registrationInput(course) });
    const { id } = data.register.registration;
    const token = data.register.manageToken as string;
    // a reason is required
    const blank = await server.gql(EARLY_ACCESS, { input: { registrationId: id, reason: "  " } }, { token });
    expect(blank.data.requestEarlyAccess.userErrors).toEqual([expect.objectContaining({ code: "REQUIRED", field: ["input", "reason"] })]);
    // when asked
    const asked = await server.gql(EARLY_ACCESS, { input: { registrationId: id, reason: "On leave in September" } }, { token });
    expect(asked.data.requestEarlyAccess.registration.accessGrant).toEqual({ status: "NOT_ELIGIBLE", earlyAccessRequestedAt: "2023-06-01T12:00:00.000Z", earlyAccessReason: "On leave in September" });
    expect((await outboxFor(server, "robin@mentalizing.example")).map((row) => row.kind)).toContain("EARLY_ACCESS_REQUESTED");
    // an admin cannot grant it before the place is paid
    const unpaid = await server.admin(GRANT_EARLY, { id });
    expect(unpaid.data.grantEarlyAccess.userErrors).toEqual([expect.objectContaining({ code: "INVALID_STATE" })]);
    // once paid it is scheduled, and the admin can open it now
    await server.admin(APPROVE, { id });
    const paid = await server.admin(PAY, { id });
    expect(paid.data.recordPayment.registration).toMatchObject({ status: "CONFIRMED", accessGrant: { status: "SCHEDULED", scheduledFor: "2023-09-04T15:30:00.000Z" } });
    const granted = await server.admin(GRANT_EARLY, { id });
    expect(granted.data.grantEarlyAccess.registration.accessGrant).toEqual({ status: "GRANTED", grantedAt: "2023-06-01T12:00:00.000Z" });
    // partners and anonymous callers cannot ask on someone's behalf
    expect((await server.gql(EARLY_ACCESS, { input: { registrationId: id, reason: "x" } })).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});
