import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { createApiKey } from "../../src/modules/api-keys/api-keys.service.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const EVENT_PAGE = /* GraphQL */ `
  query EventPage($slug: String!) {
    event(slug: $slug) { slug status seatsRemaining registrationOpen venue { name } sessions { title localStart } }
  }
`;

const EVENT_LIST = /* GraphQL */ `
  query EventList($first: Int) { events(first: $first) { totalCount edges { node { slug status venue { name } } } } }
`;

const VIEWER = /* GraphQL */ `query Viewer { viewer { role } }`;

const CANCEL_EVENT = /* GraphQL */ `mutation Cancel($id: ID!) { cancelEvent(id: $id, reason: "Low numbers") { userErrors { code } } }`;

const CREATE_ORGANISATION = /* GraphQL */ `
  mutation CreateOrganisation($input: OrganisationInput!) { createOrganisation(input: $input) { organisation { id } } }
`;

const partnerOrigin = "https://partner.example";

/** The SQL a request ran, from the server's statement log. */
async function sqlOf<T>(server: TestServer, request: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const before = server.statements.length;
  const result = await request();
  return { result, statements: server.statements.slice(before) };
}

/** Whether the resolvers ran: no credential check reads venues. */
const resolved = (statements: string[]) => statements.some((sql) => sql.includes('from "venues"'));

describe("response cache: anonymous reads", () => {
  let server: TestServer;
  let course: TestCourse;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    course = await createCourse(server, { capacity: 10, requiresReview: false, registrationClosesAt: "2023-07-01T00:00:00.000Z" });
  });
  afterAll(() => server.close());

  it("answers a repeated anonymous read from memory, without SQL, with a public Cache-Control", async () => {
    // given
    const first = await sqlOf(server, () => server.gql(EVENT_PAGE, { slug: course.slug }));
    expect(first.result.errors).toBeUndefined();
    expect(resolved(first.statements)).toBe(true);

    // when
    const again = await sqlOf(server, () => server.gql(EVENT_PAGE, { slug: course.slug }));

    // then
    expect(again.statements).toEqual([]);
    expect(again.result.data).toEqual(first.result.data);
    expect(again.result.headers.get("cache-control")).toBe("max-age=5, public");
    expect(first.result.headers.get("cache-control")).toBe("max-age=5, public");
    expect(again.result.headers.get("vary")).toMatch(/Authorization/);
    expect(again.result.headers.get("x-request-id")).toBeTruthy();
  });

  it("hints a longer max-age when no live field is asked", async () => {
    const result = await server.gql(/* GraphQL */ `query Title($slug: String!) { event(slug: $slug) { title venue { name address { city } } } }`, { slug: course.slug });
    expect(result.headers.get("cache-control")).toBe("max-age=60, public");
  });

  it("shows seatsRemaining after register at once", async () => {
    // given
    const before = await server.gql(EVENT_PAGE, { slug: course.slug });
    const seats = before.data.event.seatsRemaining as number;
    await server.gql(EVENT_PAGE, { slug: course.slug });

    // when
    const registered = await server.gql(REGISTER, { input: registrationInput(course) });
    expect(registered.data.register.userErrors).toEqual([]);
    const after = await server.gql(EVENT_PAGE, { slug: course.slug });

    // then
    expect(after.data.event.seatsRemaining).toBe(seats - 1);
    expect(registered.headers.get("cache-control")).toBe("no-store");
  });

  it("shows a cancellation at once", async () => {
    // given
    const other = await createCourse(server);
    expect((await server.gql(EVENT_PAGE, { slug: other.slug })).data.event.status).toBe("PUBLISHED");
    expect((await server.gql(EVENT_LIST, { first: 50 })).data.events.edges.map((edge: any) => edge.node.status)).toContain("PUBLISHED");

    // when
    expect((await server.admin(CANCEL_EVENT, { id: other.id })).data.cancelEvent.userErrors).toEqual([]);

    // then
    expect((await server.gql(EVENT_PAGE, { slug: other.slug })).data.event).toMatchObject({ status: "CANCELLED", registrationOpen: false });
    const listed = (await server.gql(EVENT_LIST, { first: 50 })).data.events.edges.find((edge: any) => edge.node.slug === other.slug);
    expect(listed.node.status).toBe("CANCELLED");
  });

  it("bounds by the TTL what no write announces: registration closing with the clock", async () => {
    // given
    const closing = await createCourse(server, { registrationClosesAt: "2023-06-01T12:00:03.000Z" });
    expect((await server.gql(EVENT_PAGE, { slug: closing.slug })).data.event.registrationOpen).toBe(true);

    // when: the deadline passes and the TTL (5 s) ends
    server.clock.advance(5_000);

    // then
    expect((await server.gql(EVENT_PAGE, { slug: closing.slug })).data.event.registrationOpen).toBe(false);
  });

  it("never gives an admin the anonymous answer, nor an anonymous caller the admin's", async () => {
    // given: a draft only admins see
    const draft = await createCourse(server, {}, { publish: false });
    const anonymousFirst = await server.gql(EVENT_LIST, { first: 40 });
    expect(anonymousFirst.data.events.edges.map((edge: any) => edge.node.slug)).not.toContain(draft.slug);

    // when
    const admin = await server.gql(EVENT_LIST, { first: 40 }, { token: server.adminKey });

    // then
    expect(admin.data.events.edges.map((edge: any) => edge.node.slug)).toContain(draft.slug);
    expect(admin.headers.get("cache-control")).toBe("private, no-store");

    // given the admin asks first this time
    const adminFirst = await server.gql(EVENT_LIST, { first: 41 }, { token: server.adminKey });
    expect(adminFirst.data.events.edges.map((edge: any) => edge.node.slug)).toContain(draft.slug);

    // when
    const anonymous = await server.gql(EVENT_LIST, { first: 41 });

    // then
    expect(anonymous.data.events.edges.map((edge: any) => edge.node.slug)).not.toContain(draft.slug);
    expect(anonymous.headers.get("cache-control")).toBe("max-age=5, public");
  });

  it("answers every credential afresh: partner keys, registrants, admins", async () => {
    // given
    const organisationId = (await server.admin(CREATE_ORGANISATION, { input: { slug: `partner-${Date.now()}`, name: "Partner" } })).data.createOrganisation.organisation.id;
    const secret = (await createApiKey(server.app.deps.db, server.clock, { kind: "SECRET", name: "partner server", organisationId })).key;
    const publishable = (await createApiKey(server.app.deps.db, server.clock, { kind: "PUBLISHABLE", name: "partner site", organisationId, allowedOrigins: [partnerOrigin] })).key;
    const registered = await server.gql(REGISTER, { input: registrationInput(course) });
    const manageToken = registered.data.register.manageToken as string;
    await server.gql(EVENT_PAGE, { slug: course.slug });
    expect((await sqlOf(server, () => server.gql(EVENT_PAGE, { slug: course.slug }))).statements).toEqual([]);

    for (const [who, token, headers] of [
      ["admin", server.adminKey, {}],
      ["partner secret key", secret, {}],
      ["partner publishable key", publishable, { origin: partnerOrigin }],
      ["registrant", manageToken, {}],
    ] as const) {
      // when
      const { result, statements } = await sqlOf(server, () => server.gql(EVENT_PAGE, { slug: course.slug }, { token, headers }));

      // then
      expect(result.errors, who).toBeUndefined();
      expect(resolved(statements), who).toBe(true);
      expect(result.headers.get("cache-control"), who).toBe("private, no-store");
    }
  });

  it("checks a publishable key's origin on every request, cached or not", async () => {
    const organisationId = (await server.admin(CREATE_ORGANISATION, { input: { slug: `site-${Date.now()}`, name: "Site" } })).data.createOrganisation.organisation.id;
    const publishable = (await createApiKey(server.app.deps.db, server.clock, { kind: "PUBLISHABLE", name: "site", organisationId, allowedOrigins: [partnerOrigin] })).key;
    await server.gql(EVENT_PAGE, { slug: course.slug });
    const refused = await server.gql(EVENT_PAGE, { slug: course.slug }, { token: publishable, headers: { origin: "https://elsewhere.example" } });
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(refused.headers.get("cache-control")).toBe("private, no-store");
  });

  it("never stores a viewer-specific answer", async () => {
    await server.gql(VIEWER);
    const again = await server.gql(VIEWER);
    expect(again.data.viewer.role).toBe("ANONYMOUS");
    expect(again.headers.get("cache-control")).toBe("no-store");
  });
});

describe("response cache: automatic persisted queries over GET", () => {
  let server: TestServer;
  let course: TestCourse;
  const hash = createHash("sha256").update(EVENT_PAGE).digest("hex");
  let getUrl: string;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    course = await createCourse(server);
    const params = new URLSearchParams({ operationName: "EventPage", variables: JSON.stringify({ slug: course.slug }), extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }) });
    getUrl = `${server.url}?${params}`;
  });
  afterAll(() => server.close());

  it("answers a hash-only GET with data and CDN headers, then from memory", async () => {
    // given: the hash is unknown until a client sends the document with it (the APQ protocol)
    const unknown = await fetch(getUrl, { headers: { "apollo-require-preflight": "true" } });
    expect(((await unknown.json()) as any).errors[0].extensions.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect(unknown.headers.get("cache-control")).not.toMatch(/public/);
    await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: EVENT_PAGE, variables: { slug: course.slug }, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }) });

    // when
    const first = await sqlOf(server, () => fetch(getUrl, { headers: { "apollo-require-preflight": "true" } }));
    const again = await sqlOf(server, () => fetch(getUrl, { headers: { "apollo-require-preflight": "true" } }));

    // then
    expect(first.result.status).toBe(200);
    expect(((await first.result.json()) as any).data.event.slug).toBe(course.slug);
    expect(first.result.headers.get("cache-control")).toBe("max-age=5, public");
    expect(first.result.headers.get("vary")).toMatch(/Accept, Authorization/);
    expect(again.statements).toEqual([]);
    expect(((await again.result.json()) as any).data.event.slug).toBe(course.slug);
    expect(again.result.headers.get("cache-control")).toBe("max-age=5, public");
  });

  it("still refuses a GET without a preflight header (CSRF prevention), even when the answer is cached", async () => {
    await fetch(getUrl, { headers: { "apollo-require-preflight": "true" } });
    const simple = await fetch(getUrl);
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/Cross-Site Request Forgery/);
  });

  it("marks a GET with credentials private", async () => {
    const admin = await fetch(getUrl, { headers: { "apollo-require-preflight": "true", authorization: `Bearer ${server.adminKey}` } });
    expect(admin.status).toBe(200);
    expect(admin.headers.get("cache-control")).toBe("private, no-store");
  });
});

describe("response cache: RESPONSE_CACHE=off", () => {
  let server: TestServer;
  let course: TestCourse;

  beforeAll(async () => {
    server = await startTestServer({ env: { RESPONSE_CACHE: "off" } });
    course = await createCourse(server);
  });
  afterAll(() => server.close());

  it("runs every read's SQL and keeps the Cache-Control header for CDNs", async () => {
    await server.gql(EVENT_PAGE, { slug: course.slug });
    const again = await sqlOf(server, () => server.gql(EVENT_PAGE, { slug: course.slug }));
    expect(resolved(again.statements)).toBe(true);
    expect(again.result.headers.get("cache-control")).toBe("max-age=5, public");
  });
});

describe("response cache: RESPONSE_CACHE_TTL_SECONDS", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RESPONSE_CACHE_TTL_SECONDS: "1" } });
  });
  afterAll(() => server.close());

  it("ends entries after the configured TTL", async () => {
    // given
    const closing = await createCourse(server, { registrationClosesAt: "2023-06-01T12:00:00.500Z" });
    expect((await server.gql(EVENT_PAGE, { slug: closing.slug })).data.event.registrationOpen).toBe(true);

    // when
    server.clock.advance(1_000);

    // then
    expect((await server.gql(EVENT_PAGE, { slug: closing.slug })).data.event.registrationOpen).toBe(false);
  });
});
