import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCourse, REGISTER, registrationInput } from "../helpers/factories.js";
import { emailedToken } from "../helpers/outbox.js";
import { rowCounts } from "../helpers/db.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const SUBSCRIBE = /* GraphQL */ `
  mutation ($input: NewsletterInput!) { subscribeToNewsletter(input: $input) { ok userErrors { field code message } } }
`;
const CONFIRM = /* GraphQL */ `
  mutation ($token: String!) { confirmNewsletterSubscription(token: $token) { ok userErrors { field code } } }
`;
const UNSUBSCRIBE = /* GraphQL */ `
  mutation ($token: String!) { unsubscribeFromNewsletter(token: $token) { ok userErrors { field code } } }
`;
const SUBSCRIBERS = /* GraphQL */ `
  query ($first: Int, $after: String) {
    newsletterSubscribers(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { email firstName consentAt consentMethod consentSource confirmedAt } } }
  }
`;

describe("the newsletter: double opt-in with a consent record", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
  });
  afterAll(() => server.close());

  const confirmTokenFor = async (email: string) => ({
    confirmToken: await emailedToken(server, email, "NEWSLETTER_CONFIRM", "newsletter/confirm"),
    unsubscribeToken: await emailedToken(server, email, "NEWSLETTER_CONFIRM", "newsletter/unsubscribe"),
  });

  it("needs explicit consent", async () => {
    const before = await rowCounts(server);
    const { data } = await server.gql(SUBSCRIBE, { input: { email: "anna@clinic.example", consent: false } });
    expect(data.subscribeToNewsletter).toEqual({ ok: false, userErrors: [expect.objectContaining({ code: "REQUIRED", field: ["input", "consent"] })] });
    expect(await rowCounts(server)).toEqual(before);
  });

  it("subscribes only after the emailed link is followed, and exports the consent record", async () => {
    // when
    const { data } = await server.gql(SUBSCRIBE, { input: { email: "anna@clinic.example", firstName: "Anna", consent: true } });
    // then a confirmation is mailed, and nobody is a subscriber yet
    expect(data.subscribeToNewsletter).toEqual({ ok: true, userErrors: [] });
    expect((await server.admin(SUBSCRIBERS)).data.newsletterSubscribers.totalCount).toBe(0);
    // when the link is followed
    server.clock.advance(60_000);
    const confirmed = await server.gql(CONFIRM, { token: (await confirmTokenFor("anna@clinic.example")).confirmToken });
    expect(confirmed.data.confirmNewsletterSubscription).toEqual({ ok: true, userErrors: [] });
    // then
    const list = (await server.admin(SUBSCRIBERS)).data.newsletterSubscribers;
    expect(list.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { email: "anna@clinic.example", firstName: "Anna", consentAt: "2023-06-01T12:00:00.000Z", consentMethod: "FORM", consentSource: "api", confirmedAt: "2023-06-01T12:01:00.000Z" },
    ]);
    // a spent or made-up token is refused
    expect((await server.gql(CONFIRM, { token: (await confirmTokenFor("anna@clinic.example")).confirmToken })).data.confirmNewsletterSubscription.userErrors[0].code).toBe("INVALID");
    expect((await server.gql(CONFIRM, { token: "nc_nope" })).data.confirmNewsletterSubscription.ok).toBe(false);
  });

  it("starts the same double opt-in from register, recording the registration as the way consent was given", async () => {
    const course = await createCourse(server);
    await server.gql(REGISTER, { input: registrationInput(course, { subscribeToNewsletter: true }, { email: "donald@clinic.example", firstName: "Donald" }) });
    await server.gql(CONFIRM, { token: (await confirmTokenFor("donald@clinic.example")).confirmToken });
    const nodes = (await server.admin(SUBSCRIBERS)).data.newsletterSubscribers.edges.map((e: { node: { email: string } }) => e.node);
    expect(nodes.find((node: { email: string }) => node.email === "donald@clinic.example")).toMatchObject({ firstName: "Donald", consentMethod: "REGISTRATION", consentSource: course.slug });
  });

  it("unsubscribes with the token from the email", async () => {
    await server.gql(SUBSCRIBE, { input: { email: "wilfred@clinic.example", consent: true } });
    const { confirmToken, unsubscribeToken } = await confirmTokenFor("wilfred@clinic.example");
    await server.gql(CONFIRM, { token: confirmToken });
    const before = (await server.admin(SUBSCRIBERS)).data.newsletterSubscribers.totalCount;
    expect((await server.gql(UNSUBSCRIBE, { token: unsubscribeToken })).data.unsubscribeFromNewsletter).toEqual({ ok: true, userErrors: [] });
    expect((await server.admin(SUBSCRIBERS)).data.newsletterSubscribers.totalCount).toBe(before - 1);
    expect((await server.gql(UNSUBSCRIBE, { token: "nu_nope" })).data.unsubscribeFromNewsletter.userErrors[0].code).toBe("INVALID");
  });

  it("keeps the subscriber list for admins", async () => {
    expect((await server.gql(SUBSCRIBERS)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});
