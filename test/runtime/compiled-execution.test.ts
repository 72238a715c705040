import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_DETAIL_QUERY, EVENT_LIST_QUERY } from "../../bench/scenarios.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/*
 * An operation runs in graphql-js the first time the server sees it and compiled by
 * graphql-jit from the second time on (src/server/compiled-execution.ts). The same
 * request must get the same answer either way: the same bytes, status and cache policy,
 * errors included.
 */

interface Answer {
  status: number;
  cacheControl: string | null;
  body: string;
}

async function post(server: TestServer, body: Record<string, unknown>, token?: string): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(server.url, { method: "POST", headers, body: JSON.stringify(body) });
  // The request id differs on every answer, and a stack trace (outside production) by its
  // frames; nothing else may.
  const answer = JSON.parse(await response.text()) as { errors?: { extensions?: Record<string, unknown> }[] };
  for (const error of answer.errors ?? []) {
    if (error.extensions?.requestId) error.extensions.requestId = "…";
    delete error.extensions?.stacktrace;
  }
  return { status: response.status, cacheControl: response.headers.get("cache-control"), body: JSON.stringify(answer) };
}

describe("compiled execution", () => {
  let server: TestServer;
  let slug: string;
  let eventId: string;
  let venueId: string;

  beforeAll(async () => {
    // Uncached: the response cache would answer the repeats without executing anything.
    server = await startTestServer({ seedDemo: true, env: { RESPONSE_CACHE: "off" } });
    const { data } = await server.gql(`{ events(first: 1, filter: { status: [PUBLISHED] }) { edges { node { id slug venue { id } } } } }`);
    ({ id: eventId, slug } = data.events.edges[0].node);
    venueId = data.events.edges[0].node.venue.id;
  });
  afterAll(() => server.close());

  /** Sends the request three times: the first runs in graphql-js, the others compiled. */
  async function sameEachTime(body: Record<string, unknown>, token?: string): Promise<Answer & { ranCompiled: number }> {
    const compiledBefore = server.app.executionStats.compiled;
    const first = await post(server, body, token);
    const second = await post(server, body, token);
    const third = await post(server, body, token);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    return { ...first, ranCompiled: server.app.executionStats.compiled - compiledBefore };
  }

  it("answers an event page the same, compiled or not, cache policy included", async () => {
    const answer = await sameEachTime({ query: EVENT_DETAIL_QUERY, variables: { slug } });
    expect(answer.status).toBe(200);
    expect(answer.body).not.toContain('"errors"');
    expect(answer.cacheControl).toMatch(/^max-age=\d+, public$/);
    expect(JSON.parse(answer.body).data.event.slug).toBe(slug);
    expect(answer).toMatchObject({ ranCompiled: 2 });
  });

  it("answers the catalogue, node lookups through fragments, @include and introspection the same", async () => {
    const list = await sameEachTime({ query: EVENT_LIST_QUERY });
    expect(JSON.parse(list.body).data.events.edges.length).toBeGreaterThan(0);

    const nodes = await sameEachTime({
      query: `query Nodes($event: ID!, $venue: ID!, $missing: ID!, $withSessions: Boolean!) {
        event: node(id: $event) { __typename id ... on Event { title sessions @include(if: $withSessions) { id kind } } }
        venue: node(id: $venue) { __typename ... on Venue { name accessibility { adaCompliant } } }
        missing: node(id: $missing) { id }
      }`,
      variables: { event: eventId, venue: venueId, missing: "evt_00000000000000000000000000", withSessions: true },
    });
    const data = JSON.parse(nodes.body).data;
    expect(data.event.__typename).toBe("Event");
    expect(data.event.sessions.length).toBeGreaterThan(0);
    expect(data.venue.__typename).toBe("Venue");
    expect(data.missing).toBeNull();
    expect(nodes).toMatchObject({ ranCompiled: 2 });

    const introspection = await sameEachTime({ query: `{ __type(name: "Venue") { name fields { name type { kind name } } } }` });
    expect(JSON.parse(introspection.body).data.__type.name).toBe("Venue");
  });

  it("refuses bad variables with graphql-js's BAD_USER_INPUT wording every time", async () => {
    const answer = await sameEachTime({ query: `query Page($first: Int) { events(first: $first) { totalCount } }`, variables: { first: "many" } });
    expect(answer.status).toBe(400);
    const error = JSON.parse(answer.body).errors[0];
    expect(error.extensions.code).toBe("BAD_USER_INPUT");
    expect(error.message).toMatch(/^Variable "\$first" got invalid value "many"; Int cannot represent non-integer value/);
  });

  it("answers a field an anonymous caller may not read with the same error, null propagated alike", async () => {
    const answer = await sameEachTime({ query: `query Admin($id: ID!) { event(id: $id) { title registrations(first: 1) { totalCount } } }`, variables: { id: eventId } });
    const body = JSON.parse(answer.body);
    // registrations is non-null: its error nulls the event.
    expect(body.data).toEqual({ event: null });
    expect(body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect(body.errors[0].path).toEqual(["event", "registrations"]);
  });

  it("answers two failing siblings under a parent they null with graphql-js's one error", async () => {
    const answer = await sameEachTime({ query: `query Two($id: ID!) { event(id: $id) { a: registrations(first: 1) { totalCount } b: registrations(first: 2) { totalCount } } }`, variables: { id: eventId } });
    const body = JSON.parse(answer.body);
    expect(body.data).toEqual({ event: null });
    expect(body.errors).toHaveLength(1);
  });

  it("never compiles a string literal: graphql-jit would write it into generated code, where a crafted one runs", async () => {
    // graphql-jit 0.8.9 turns a literal of this shape into `new Date(<the rest>)` in the
    // function it generates (its MAGIC_DATE marker for dates in literals).
    const marker = "__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d";
    const query = `query Search($n: Int) { events(first: $n, filter: { search: "${marker}((globalThis.compiledExecutionProbe = 'ran'), 0)" }) { totalCount } }`;
    const before = server.app.executionStats.compiled;
    for (const n of [1, 2, 3]) {
      const answer = await post(server, { query, variables: { n } });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).data.events.totalCount).toBe(0);
    }
    expect((globalThis as { compiledExecutionProbe?: string }).compiledExecutionProbe).toBeUndefined();
    expect(server.app.executionStats.compiled).toBe(before);
  });

  it("never compiles a variable inside an object literal: left out, it stays left out", async () => {
    const before = server.app.executionStats.compiled;
    const answer = await sameEachTime({ query: `query Filtered($search: String) { events(filter: { search: $search }) { totalCount } }` });
    expect(JSON.parse(answer.body).data.events.totalCount).toBeGreaterThan(0);
    expect(server.app.executionStats.compiled).toBe(before);
  });

  it("runs a mutation compiled with the same userErrors, and stores nothing for it", async () => {
    const mutation = `mutation Register($input: RegisterInput!) { register(input: $input) { registration { id } userErrors { code field message } } }`;
    const input = { eventId, attendee: { firstName: " ", lastName: "Okafor", email: "ngozi@clinic.example", profession: "PSYCHIATRIST" } };
    const answer = await sameEachTime({ query: mutation, variables: { input } });
    const result = JSON.parse(answer.body).data.register;
    expect(result.registration).toBeNull();
    expect(result.userErrors.map((error: { field: string[] }) => error.field.join("."))).toContain("input.attendee.firstName");
    expect(answer).toMatchObject({ ranCompiled: 2 });
    const count = await server.admin(`query ($id: ID!) { registrations(eventId: $id) { totalCount } }`, { id: eventId });
    expect(count.data.registrations.totalCount).toBe(0);
  });

  it("registers through a compiled mutation as through graphql-js", async () => {
    const mutation = `mutation Register($input: RegisterInput!) { register(input: $input) { registration { status attendee { email } } userErrors { code } } }`;
    const { data: event } = await server.gql(`query ($id: ID!) { event(id: $id) { eligibilityCriteria { id } } }`, { id: eventId });
    const answers = event.event.eligibilityCriteria.map((criterion: { id: string }) => ({ criterionId: criterion.id, met: true }));
    const results = [];
    for (const n of [1, 2, 3]) {
      const input = { eventId, eligibilityAnswers: answers, attendee: { firstName: "Ada", lastName: `Jit${n}`, email: `ada${n}@clinic.example`, profession: "PSYCHIATRIST" } };
      results.push(JSON.parse((await post(server, { query: mutation, variables: { input } })).body).data.register);
    }
    expect(results.map((result) => result.registration.attendee.email)).toEqual(["ada1@clinic.example", "ada2@clinic.example", "ada3@clinic.example"]);
    expect(new Set(results.map((result) => JSON.stringify({ status: result.registration.status, userErrors: result.userErrors }))).size).toBe(1);
  });
});

describe("GRAPHQL_JIT=off", () => {
  it("runs every operation in graphql-js", async () => {
    const server = await startTestServer({ seedDemo: true, env: { GRAPHQL_JIT: "off", RESPONSE_CACHE: "off" } });
    try {
      for (let i = 0; i < 3; i++) expect((await server.gql(EVENT_LIST_QUERY)).status).toBe(200);
      expect(server.app.executionStats).toEqual({ compiled: 0, interpreted: 3 });
    } finally {
      await server.close();
    }
  });
});
