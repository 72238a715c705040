import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limits } from "../../src/common/validate.js";
import { uclaFacultyCenter } from "../../src/demo/mbt-course.js";
import { courseInput, createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { createPartner, rowCounts } from "./fixtures.js";

/*
 * Every string a caller can send has a maximum length: for each string field of each
 * mutation's input, one value longer than the longest documented limit is refused with a
 * userError or a GraphQL error, and no row is written.
 */

const TOO_LONG = "x".repeat(limits.description + 1);

const MUTATIONS = {
  register: `mutation ($input: RegisterInput!) { register(input: $input) { registration { id } userErrors { field code } } }`,
  subscribeToNewsletter: `mutation ($input: NewsletterInput!) { subscribeToNewsletter(input: $input) { ok userErrors { field code } } }`,
  cancelRegistration: `mutation ($input: CancelRegistrationInput!) { cancelRegistration(input: $input) { registration { id } userErrors { field code } } }`,
  requestEarlyAccess: `mutation ($input: RequestEarlyAccessInput!) { requestEarlyAccess(input: $input) { registration { id } userErrors { field code } } }`,
  reviewRegistration: `mutation ($input: ReviewRegistrationInput!) { reviewRegistration(input: $input) { registration { id } userErrors { field code } } }`,
  recordPayment: `mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { registration { id } userErrors { field code } } }`,
  createOrganisation: `mutation ($input: OrganisationInput!) { createOrganisation(input: $input) { organisation { id } userErrors { field code } } }`,
  createVenue: `mutation ($input: VenueInput!) { createVenue(input: $input) { venue { id } userErrors { field code } } }`,
  createEvent: `mutation ($input: EventInput!) { createEvent(input: $input) { event { id } userErrors { field code } } }`,
  cancelEvent: `mutation ($id: ID!, $reason: String) { cancelEvent(id: $id, reason: $reason) { event { id } userErrors { field code } } }`,
  createApiKey: `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { key userErrors { field code } } }`,
  requestSignInLink: `mutation ($email: EmailAddress!) { requestSignInLink(email: $email) { ok userErrors { field code } } }`,
  signInWithLink: `mutation ($token: String!) { signInWithLink(token: $token) { sessionToken userErrors { field code } } }`,
  confirmNewsletterSubscription: `mutation ($token: String!) { confirmNewsletterSubscription(token: $token) { ok userErrors { field code } } }`,
  unsubscribeFromNewsletter: `mutation ($token: String!) { unsubscribeFromNewsletter(token: $token) { ok userErrors { field code } } }`,
} as const;

function stringPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value === "string") return [prefix];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringPaths(item, [...prefix, index]));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([key, item]) => stringPaths(item, [...prefix, key]));
  return [];
}

function replaceAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[head!] = replaceAt(copy[head!], rest, replacement);
  return copy;
}

describe("maximum lengths of string inputs", () => {
  let server: TestServer;
  let course: TestCourse;
  let registrationId: string;
  let bases: [keyof typeof MUTATIONS, Record<string, unknown>][];

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RATE_LIMITS: "off" } });
    course = await createCourse(server);
    registrationId = (await server.gql(REGISTER, { input: registrationInput(course) })).data.register.registration.id;
    const partner = await createPartner(server, "lengths-partner");
    bases = [
      ["register", { input: registrationInput(course, { accessibilityNeeds: "Step-free seating", idempotencyKey: "k-1" }, { phone: "+1 310 555 0100", jobTitle: "Psychologist", professionOther: "Art therapist", profession: "OTHER" }) }],
      ["subscribeToNewsletter", { input: { email: "len@clinic.example", firstName: "Len", consent: true } }],
      ["cancelRegistration", { input: { registrationId, reason: "Cannot travel" } }],
      ["requestEarlyAccess", { input: { registrationId, reason: "On leave" } }],
      ["reviewRegistration", { input: { registrationId, decision: "APPROVE", note: "Meets all criteria" } }],
      ["recordPayment", { input: { registrationId, amountMinor: 100, currency: "USD", method: "card", reference: "ch_1" } }],
      ["createOrganisation", { input: { slug: "len-org", name: "Len Org", website: "https://len.example", email: "org@len.example", phone: "+1 310 555 0100" } }],
      ["createVenue", { input: { ...uclaFacultyCenter, address: { ...uclaFacultyCenter.address, line2: "Room 2" } } }],
      ["createEvent", { input: courseInput({ venueId: course.venueId, summary: "s", description: "d", audience: "a", bookingUrl: "https://book.example", registrationOpensAt: null }) }],
      ["cancelEvent", { id: course.id, reason: "Venue closed" }],
      ["createApiKey", { input: { kind: "PUBLISHABLE", name: "site", organisationId: partner, allowedOrigins: ["https://len.example"] } }],
      ["requestSignInLink", { email: "len@clinic.example" }],
      ["signInWithLink", { token: "sl_x" }],
      ["confirmNewsletterSubscription", { token: "nc_x" }],
      ["unsubscribeFromNewsletter", { token: "nu_x" }],
    ];
  });
  afterAll(() => server?.close());

  it(`refuses a ${TOO_LONG.length}-character value in every string field and writes nothing`, async () => {
    // given
    const before = await rowCounts(server);
    const accepted: string[] = [];
    let probes = 0;

    // when
    for (const [mutation, variables] of bases) {
      for (const path of stringPaths(variables)) {
        probes += 1;
        const { data, errors } = await server.admin(MUTATIONS[mutation], replaceAt(variables, path, TOO_LONG) as Record<string, unknown>);
        const payload = data?.[mutation];
        const refused = (errors?.length ?? 0) > 0 || (payload?.userErrors?.length ?? 0) > 0;
        if (!refused) accepted.push(`${mutation}: ${path.join(".")}`);
      }
    }

    // then
    expect(probes).toBeGreaterThan(60);
    expect(accepted).toEqual([]);
    expect(await rowCounts(server)).toEqual(before);
  });

  it("accepts every one of those inputs as it was, so the refusals above were about length", async () => {
    // given: an order in which each is valid (early access and payment before the cancellation)
    const order: (keyof typeof MUTATIONS)[] = ["register", "subscribeToNewsletter", "requestEarlyAccess", "reviewRegistration", "recordPayment", "createOrganisation", "createVenue", "createEvent", "createApiKey", "requestSignInLink", "cancelRegistration", "cancelEvent"];

    // when
    const outcomes: Record<string, unknown> = {};
    for (const mutation of order) {
      const { data, errors } = await server.admin(MUTATIONS[mutation], bases.find(([name]) => name === mutation)![1]);
      outcomes[mutation] = errors ?? data[mutation].userErrors;
    }

    // then
    expect(outcomes).toEqual(Object.fromEntries(order.map((mutation) => [mutation, []])));
  });
});
