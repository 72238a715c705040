import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emailRateLimitKey, MemoryRateLimitStore } from "../../src/auth/rate-limit.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { createKey, createPartner, rowCounts } from "./fixtures.js";

const REQUEST_LINK = /* GraphQL */ `
  mutation ($email: EmailAddress!) { requestSignInLink(email: $email) { ok userErrors { code message } } }
`;

const SUBSCRIBE = /* GraphQL */ `
  mutation ($email: EmailAddress!) { subscribeToNewsletter(input: { email: $email, consent: true }) { ok userErrors { code message } } }
`;

const from = (ip: string) => ({ "x-forwarded-for": ip });

describe("rate limits with the default settings", () => {
  let server: TestServer;
  let course: TestCourse;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    course = await createCourse(server, { capacity: 1000, requiresReview: false });
  });
  afterAll(() => server?.close());

  it("lets one address register 60 people a minute, refuses the 61st without storing it, and allows more after the minute", async () => {
    // when: a clinic registers its staff from one address
    const results = [];
    for (let i = 0; i < 60; i++) results.push(await server.gql(REGISTER, { input: registrationInput(course) }));
    const before = await rowCounts(server);
    const refused = await server.gql(REGISTER, { input: registrationInput(course) });
    const after = await rowCounts(server);
    server.clock.advance(60_000);
    const nextMinute = await server.gql(REGISTER, { input: registrationInput(course) });

    // then
    expect(results.every((result) => result.data.register.userErrors.length === 0 && result.data.register.registration)).toBe(true);
    expect(refused.status).toBe(200);
    expect(refused.data.register).toMatchObject({ registration: null, manageToken: null, userErrors: [{ code: "RATE_LIMITED", field: null }] });
    expect(refused.errors).toBeUndefined();
    expect((refused as any).headers.get("retry-after")).toBe("60");
    expect(after).toEqual(before);
    expect(nextMinute.data.register.userErrors).toEqual([]);
  });

  it("puts retryAfterSeconds in the response extensions", async () => {
    // given: this minute's allowance is used up
    for (let i = 0; i < 60; i++) await server.gql(REGISTER, { input: registrationInput(course) });
    server.clock.advance(15_000);

    // when
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: REGISTER, variables: { input: registrationInput(course) } }),
    });
    const body = (await response.json()) as { extensions: unknown; data: any };

    // then
    expect(body.extensions).toEqual({ retryAfterSeconds: 45 });
    expect(response.headers.get("retry-after")).toBe("45");
    expect(body.data.register.userErrors[0].message).toMatch(/try again in 45 seconds/);
  });

  it("ignores X-Forwarded-For unless TRUST_PROXY says a proxy sets it", async () => {
    // given: the register allowance of this minute is used up (previous test)
    // when
    const spoofed = await server.gql(REGISTER, { input: registrationInput(course) }, { headers: from("198.51.100.7") });

    // then
    expect(spoofed.data.register.userErrors[0].code).toBe("RATE_LIMITED");
  });

  it("counts each action on its own: a used-up register allowance leaves the newsletter open", async () => {
    // when
    const { data } = await server.gql(SUBSCRIBE, { email: "separate.action@clinic.example" });

    // then
    expect(data.subscribeToNewsletter).toEqual({ ok: true, userErrors: [] });
  });
});

describe("per-email limits (TRUST_PROXY=true, callers at different addresses)", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { TRUST_PROXY: "true" } });
  });
  afterAll(() => server?.close());

  it("allows 5 sign-in links an hour to one inbox, however the address is spelled, and refuses the 6th", async () => {
    // given
    const spellings = ["flood@clinic.example", "Flood@Clinic.Example", "flood+1@clinic.example", "FLOOD+x@clinic.example", " flood@clinic.example"];

    // when
    const allowed = [];
    for (const [i, email] of spellings.entries()) allowed.push(await server.gql(REQUEST_LINK, { email: email.trim() }, { headers: from(`203.0.113.${i + 1}`) }));
    const sixth = await server.gql(REQUEST_LINK, { email: "flood+again@clinic.example" }, { headers: from("203.0.113.99") });
    const otherInbox = await server.gql(REQUEST_LINK, { email: "someone.else@clinic.example" }, { headers: from("203.0.113.99") });

    // then
    expect(allowed.map((result) => result.data.requestSignInLink)).toEqual(spellings.map(() => ({ ok: true, userErrors: [] })));
    expect(sixth.data.requestSignInLink).toMatchObject({ ok: false, userErrors: [{ code: "RATE_LIMITED" }] });
    expect(Number(sixth.headers.get("retry-after"))).toBe(3600);
    expect(otherInbox.data.requestSignInLink).toEqual({ ok: true, userErrors: [] });
  });

  it("frees the inbox again after the hour", async () => {
    // given
    for (let i = 0; i < 6; i++) await server.gql(SUBSCRIBE, { email: "hourly@clinic.example" }, { headers: from(`192.0.2.${i + 1}`) });

    // when
    const stillRefused = await server.gql(SUBSCRIBE, { email: "hourly@clinic.example" }, { headers: from("192.0.2.50") });
    server.clock.advance(60 * 60_000);
    const nextHour = await server.gql(SUBSCRIBE, { email: "hourly@clinic.example" }, { headers: from("192.0.2.51") });

    // then
    expect(stillRefused.data.subscribeToNewsletter.userErrors[0].code).toBe("RATE_LIMITED");
    expect(nextHour.data.subscribeToNewsletter).toEqual({ ok: true, userErrors: [] });
  });

  it("uses the client address a trusted proxy reports", async () => {
    // given: RATE_LIMIT_PER_IP is 60; one client uses it all for sign-in links
    for (let i = 0; i < 60; i++) await server.gql(REQUEST_LINK, { email: `person${i}@clinic.example` }, { headers: from("198.51.100.1") });

    // when
    const sameClient = await server.gql(REQUEST_LINK, { email: "person-next@clinic.example" }, { headers: from("198.51.100.1") });
    const otherClient = await server.gql(REQUEST_LINK, { email: "person-other@clinic.example" }, { headers: from("198.51.100.2") });

    // then
    expect(sameClient.data.requestSignInLink.userErrors[0].code).toBe("RATE_LIMITED");
    expect(otherClient.data.requestSignInLink.userErrors).toEqual([]);
  });
});

describe("limits by kind of caller (RATE_LIMIT_PER_IP=3, RATE_LIMIT_PER_SECRET_KEY=8)", () => {
  let server: TestServer;
  let course: TestCourse;
  let secretKey: string;
  let publishableKey: string;
  const origin = "https://partner.example";

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RATE_LIMIT_PER_IP: "3", RATE_LIMIT_PER_SECRET_KEY: "8" } });
    course = await createCourse(server, { capacity: 1000 });
    const partner = await createPartner(server, "rate-partner");
    secretKey = (await createKey(server, { kind: "SECRET", organisationId: partner })).key;
    publishableKey = (await createKey(server, { kind: "PUBLISHABLE", organisationId: partner, allowedOrigins: [origin] })).key;
  });
  afterAll(() => server?.close());

  async function registerCodes(times: number, options: { token?: string; headers?: Record<string, string> } = {}) {
    const codes: (string | null)[] = [];
    for (let i = 0; i < times; i++) {
      const { data, errors } = await server.gql(REGISTER, { input: registrationInput(course) }, options);
      if (errors) throw new Error(JSON.stringify(errors));
      codes.push(data.register.userErrors[0]?.code ?? null);
    }
    return codes;
  }

  it("gives a partner's secret key its own, higher allowance", async () => {
    // when
    const anonymous = await registerCodes(4);
    const partnerServer = await registerCodes(9, { token: secretKey });

    // then
    expect(anonymous).toEqual([null, null, null, "RATE_LIMITED"]);
    expect(partnerServer).toEqual([null, null, null, null, null, null, null, null, "RATE_LIMITED"]);
  });

  it("counts a publishable key (a browser) against the caller's address", async () => {
    // given: the anonymous caller at this address used its 3 (previous test)
    // when
    const codes = await registerCodes(1, { token: publishableKey, headers: { origin } });

    // then
    expect(codes).toEqual(["RATE_LIMITED"]);
  });

  it("does not limit admins", async () => {
    // when
    const codes = await registerCodes(5, { token: server.adminKey });

    // then
    expect(codes).toEqual([null, null, null, null, null]);
  });
});

describe("RATE_LIMITS=off", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { RATE_LIMITS: "off" } });
  });
  afterAll(() => server?.close());

  it("turns the limits off (for benchmarks and load tests)", async () => {
    // when
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await server.gql(SUBSCRIBE, { email: "bench@clinic.example" }));

    // then
    expect(results.map((result) => result.data.subscribeToNewsletter.userErrors)).toEqual(results.map(() => []));
  });
});

describe("the in-memory store", () => {
  it("counts in fixed windows and keeps at most maxEntries counters", async () => {
    // given
    const store = new MemoryRateLimitStore(3);

    // when
    const first = await store.hit("a", 60_000, 1_000);
    const second = await store.hit("a", 60_000, 59_999);
    const nextWindow = await store.hit("a", 60_000, 60_000);
    for (const key of ["b", "c", "d"]) await store.hit(key, 60_000, 60_000);

    // then
    expect([first, second, nextWindow]).toEqual([
      { count: 1, resetAt: 60_000 },
      { count: 2, resetAt: 60_000 },
      { count: 1, resetAt: 120_000 },
    ]);
    expect(store.size).toBe(3);
  });

  it("keys an email by its inbox", () => {
    expect(emailRateLimitKey(" Ada+Courses@Clinic.Example ")).toBe("ada@clinic.example");
    expect(emailRateLimitKey("not-an-address")).toBe("not-an-address");
  });
});
