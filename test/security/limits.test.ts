import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryLimits } from "../../src/auth/query-limits.js";
import { BODY_LIMIT_BYTES } from "../../src/server.js";
import { countRows } from "../helpers/db.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { createPartner, setPartners } from "./fixtures.js";

// The query GraphQL Playground sends when it opens (descriptions, deprecations, repeatable directives).
const IDE_INTROSPECTION = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });

const LISTING = /* GraphQL */ `
  query OpenCourses($first: Int) {
    events(filter: { status: [PUBLISHED] }, first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id slug title summary audience format status timeZone startDate endDate startsAt endsAt registrationOpen seatsRemaining capacity
          waitlistEnabled requiresReview liveHours selfGuidedHours programmeLength bookingUrl
          price { formatted amountMinor currency }
          contact { name email phone }
          venue {
            id name timeZone latitude longitude mapUrl
            address { line1 line2 city region postalCode country }
            accessibility { adaCompliant wheelchairAccessible stepFreeEntrance accessibleRestrooms accessibleParking hearingLoop notes infoUrl }
          }
          sessions { id title kind startsAt endsAt localStart localEnd timeZoneAbbreviation utcOffset durationMinutes }
          partners { roles bookingUrl organisation { id slug name website } }
          learningObjectives { position text }
          eligibilityCriteria { id position text required }
          prerequisite { title durationHours url accessOpensAt completeBy }
        }
      }
    }
  }
`;

const ADMIN_APPLICATIONS = /* GraphQL */ `
  query Applications {
    registrations(first: 100) {
      totalCount
      edges { node { id reference status attendee { firstName lastName email profession } eligibilityAnswers { criterion { position required } met details } event { title } payment { amountDue { formatted } amountPaid { formatted } paidInFull } timeline { at actor action fromStatus toStatus note } } }
    }
  }
`;

/** events → partners → organisation → events → …: each level multiplies the work by the page size. */
const NESTED_EVENTS = /* GraphQL */ `
  query Nested($first: Int) {
    events(first: $first) { edges { node { partners { organisation { events(first: $first) { edges { node { id title } } } } } } } }
  }
`;

/**
 * A path of `depth` fields (armor counts the leaf too) that stays cheap: event →
 * registrations(first: 1) → edges → node → event → …, so only depth decides.
 */
function queryOfDepth(depth: number): string {
  const cycle = ["registrations(first: 1)", "edges", "node", "event"];
  const path = ["event(id: $id)"];
  while (path.length < depth - 1) path.push(cycle[(path.length - 1) % cycle.length]!);
  return `query Deep($id: ID) { ${path.join(" { ")} { __typename ${"} ".repeat(path.length)}}`;
}

async function post(server: TestServer, body: string | Uint8Array, headers: Record<string, string> = { "content-type": "application/json" }) {
  const response = await fetch(server.url, { method: "POST", headers, body });
  const text = await response.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, json, text, headers: response.headers };
}

function registrationsCount(server: TestServer): Promise<number> {
  return countRows(server, "registrations");
}

describe("query limits", () => {
  let server: TestServer;
  let course: TestCourse;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RATE_LIMITS: "off" } });
    course = await createCourse(server);
    await createCourse(server);
    await createCourse(server);
    const host = await createPartner(server, "anna-freud-centre");
    await setPartners(server, course.id, [{ organisationId: host, roles: ["HOST"] }]);
  });
  afterAll(() => server?.close());

  /** Runs an operation and reports whether it executed any SQL: rejected operations must not. */
  async function rejectedBeforeExecution(query: string, variables?: Record<string, unknown>) {
    const before = server.statements.length;
    const result = await server.gql(query, variables);
    return { ...result, statementsRun: server.statements.length - before };
  }

  it("lets the IDE's introspection query through", async () => {
    // when
    const { status, data, errors } = await server.gql(IDE_INTROSPECTION);

    // then
    expect(errors).toBeUndefined();
    expect(status).toBe(200);
    expect(data.__schema.types.length).toBeGreaterThan(50);
  });

  it("lets a listing of 100 events with venue, sessions, partners and criteria through", async () => {
    // when
    const { data, errors } = await server.gql(LISTING, { first: 100 });

    // then
    expect(errors).toBeUndefined();
    expect(data.events.edges.length).toBeGreaterThanOrEqual(3);
    expect(data.events.edges[0].node.sessions.length).toBeGreaterThan(0);
  });

  it("lets an admin list 100 applications with answers, payments and timelines", async () => {
    // given
    await server.gql(REGISTER, { input: registrationInput(course) });

    // when
    const { data, errors } = await server.admin(ADMIN_APPLICATIONS);

    // then
    expect(errors).toBeUndefined();
    expect(data.registrations.totalCount).toBeGreaterThan(0);
  });

  it(`accepts depth ${queryLimits.depth} and refuses depth ${queryLimits.depth + 1} before running anything`, async () => {
    // when
    const atLimit = await server.admin(queryOfDepth(queryLimits.depth), { id: course.id });
    const overLimit = await rejectedBeforeExecution(queryOfDepth(queryLimits.depth + 1), { id: course.id });

    // then
    expect(atLimit.errors).toBeUndefined();
    expect(overLimit.status).toBe(400);
    expect(overLimit.errors![0]!.message).toMatch(/depth limit of 12 exceeded, found 13/);
    expect(overLimit.errors![0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(overLimit.statementsRun).toBe(0);
  });

  it("refuses a deeply nested mutation without registering anyone", async () => {
    // given
    const before = await registrationsCount(server);
    const deep = `mutation ($input: RegisterInput!) { register(input: $input) { registration { event { sessions { event { sessions { event { sessions { event { sessions { event { sessions { event { id } } } } } } } } } } } } } }`;

    // when
    const { status, errors } = await server.gql(deep, { input: registrationInput(course) });

    // then
    expect(status).toBe(400);
    expect(errors![0]!.message).toMatch(/depth limit/);
    expect(await registrationsCount(server)).toBe(before);
  });

  it(`accepts ${queryLimits.aliases} aliases and refuses ${queryLimits.aliases + 1}, even for register`, async () => {
    // given
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer { role }`).join(" ")} }`;
    const registers = Array.from({ length: queryLimits.aliases + 1 }, (_, i) => `r${i}: register(input: $input) { manageToken }`).join(" ");
    const before = await registrationsCount(server);

    // when
    const atLimit = await server.gql(aliased(queryLimits.aliases));
    const overLimit = await rejectedBeforeExecution(aliased(queryLimits.aliases + 1));
    const registerBatch = await server.gql(`mutation ($input: RegisterInput!) { ${registers} }`, { input: registrationInput(course) });

    // then
    expect(atLimit.errors).toBeUndefined();
    expect(overLimit.status).toBe(400);
    expect(overLimit.errors![0]!.message).toMatch(/Aliases limit of 15 exceeded/);
    expect(registerBatch.status).toBe(400);
    expect(await registrationsCount(server)).toBe(before);
  });

  it(`refuses more than ${queryLimits.directives} directives`, async () => {
    // given
    const fields = (n: number) => Array.from({ length: n }, () => "role @include(if: true)").join(" ");

    // when
    const atLimit = await server.gql(`{ viewer { ${fields(queryLimits.directives)} } }`);
    const overLimit = await server.gql(`{ viewer { ${fields(queryLimits.directives + 1)} } }`);

    // then
    expect(atLimit.errors).toBeUndefined();
    expect(overLimit.status).toBe(400);
    expect(overLimit.errors![0]!.message).toMatch(/Directives limit of 20 exceeded/);
  });

  it(`refuses a document of more than ${queryLimits.tokens} tokens while parsing`, async () => {
    // given: `{ events ( filter : { status : [ … ] } ) { totalCount } }` is 16 tokens around the list
    const padded = (statuses: number) => `{ events(filter: { status: [${Array.from({ length: statuses }, () => "PUBLISHED").join(" ")}] }) { totalCount } }`;

    // when
    const atLimit = await server.gql(padded(queryLimits.tokens - 16));
    const overLimit = await rejectedBeforeExecution(padded(queryLimits.tokens - 15));

    // then
    expect(atLimit.errors).toBeUndefined();
    expect(overLimit.status).toBe(400);
    expect(overLimit.errors![0]!.message).toMatch(/Document contains more tha[nt] 3000 tokens/);
    expect(overLimit.errors![0]!.extensions!.code).toBe("GRAPHQL_PARSE_FAILED");
    expect(overLimit.statementsRun).toBe(0);
  });

  it("answers a syntax error with 400 GRAPHQL_PARSE_FAILED", async () => {
    // when
    const { status, errors } = await server.gql("{ viewer { role }");

    // then
    expect(status).toBe(400);
    expect(errors![0]!.extensions!.code).toBe("GRAPHQL_PARSE_FAILED");
  });

  it("refuses a query whose nested pages multiply past the cost limit, with page sizes as literals or variables", async () => {
    // when
    const literal = await rejectedBeforeExecution(NESTED_EVENTS.replace("($first: Int)", "").replaceAll("$first", "100"));
    const variables = await rejectedBeforeExecution(NESTED_EVENTS, { first: 100 });
    const small = await server.gql(NESTED_EVENTS, { first: 5 });

    // then
    for (const refused of [literal, variables]) {
      expect(refused.status).toBe(400);
      expect(refused.errors![0]!.message).toMatch(/Query cost limit of 50000 exceeded/);
      expect(refused.errors![0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(refused.statementsRun).toBe(0);
    }
    expect(small.errors).toBeUndefined();
  });

  it("refuses introspection that nests lists four deep (types → fields → type → fields …)", async () => {
    // when
    const { status, errors } = await rejectedBeforeExecution(`{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`);

    // then
    expect(status).toBe(400);
    expect(errors![0]!.message).toMatch(/Maximum introspection depth exceeded/);
  });

  it.each([
    ["events", `{ events(first: 101) { edges { node { id } } } }`],
    ["registrations", `{ registrations(first: 101) { edges { node { id } } } }`],
    ["Event.registrations", `query ($id: ID) { event(id: $id) { registrations(first: 101) { edges { node { id } } } } }`],
    ["Organisation.events", `{ organisation(slug: "anna-freud-centre") { events(first: 101) { edges { node { id } } } } }`],
    ["newsletterSubscribers", `{ newsletterSubscribers(first: 101) { edges { node { id } } } }`],
    ["emailDeliveries", `{ emailDeliveries(first: 101) { edges { node { id } } } }`],
  ])("caps the page size of %s at 100", async (_name, query) => {
    // when
    const { errors } = await server.admin(query, { id: course.id });

    // then
    expect(errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(errors?.[0]?.message).toMatch(/between 0 and 100/);
  });
});

describe("HTTP limits", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
  });
  afterAll(() => server?.close());

  it(`answers 413 to a body over ${BODY_LIMIT_BYTES} bytes, and accepts one just under`, async () => {
    // given
    const padded = (size: number) => {
      const base = JSON.stringify({ query: "{ viewer { role } }", variables: { pad: "" } });
      return JSON.stringify({ query: "{ viewer { role } }", variables: { pad: "x".repeat(size - base.length) } });
    };

    // when
    const under = await post(server, padded(BODY_LIMIT_BYTES - 10));
    const over = await post(server, padded(BODY_LIMIT_BYTES + 1));

    // then
    expect(under.status).toBe(200);
    expect(over.status).toBe(413);
    expect(over.json.errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("refuses batched operations (a JSON array body) with 400", async () => {
    // when
    const { status, json } = await post(server, JSON.stringify([{ query: "{ viewer { role } }" }, { query: "{ viewer { role } }" }]));

    // then
    expect(status).toBe(400);
    expect(json.errors[0].message).toMatch(/batching disabled/i);
  });

  it("blocks requests a browser could send cross-site without a preflight (CSRF prevention)", async () => {
    // given
    const query = encodeURIComponent("{ viewer { role } }");

    // when
    const plainGet = await fetch(`${server.url}?query=${query}`, { headers: { accept: "application/json" } });
    const textPlain = await post(server, JSON.stringify({ query: "{ viewer { role } }" }), { "content-type": "text/plain" });
    const form = await post(server, "query=%7Bviewer%7Brole%7D%7D", { "content-type": "application/x-www-form-urlencoded" });
    const multipart = await post(server, "--x\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\n{viewer{role}}\r\n--x--\r\n", { "content-type": "multipart/form-data; boundary=x" });
    const preflightedGet = await fetch(`${server.url}?query=${query}`, { headers: { "apollo-require-preflight": "true", accept: "application/json" } });

    // then
    expect(plainGet.status).toBe(400);
    expect(await plainGet.text()).toMatch(/Cross-Site Request Forgery/);
    expect(textPlain.status).toBe(400);
    expect(textPlain.text).toMatch(/Cross-Site Request Forgery/);
    expect(form.status).toBe(415);
    expect(multipart.status).toBe(415);
    expect(preflightedGet.status).toBe(200);
    expect(await preflightedGet.json()).toEqual({ data: { viewer: { role: "ANONYMOUS" } } });
  });

  it("never runs a mutation sent by GET", async () => {
    // when
    const query = encodeURIComponent(`mutation { subscribeToNewsletter(input: { email: "get@clinic.example", consent: true }) { ok } }`);
    const response = await fetch(`${server.url}?query=${query}`, { headers: { "apollo-require-preflight": "true" } });

    // then
    expect(response.status).toBe(405);
    expect(await countRows(server, "newsletter_subscriptions")).toBe(0);
  });

  it("in development, keeps stack traces and suggestions for the developer", async () => {
    // when
    const { errors } = await server.gql(`{ evnts { id } }`);

    // then
    expect(errors![0]!.message).toMatch(/Did you mean "events"/);
    expect(errors![0]!.extensions!.stacktrace).toBeDefined();
  });
});

describe("introspection switch", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { INTROSPECTION: "false" } });
  });
  afterAll(() => server?.close());

  it("refuses introspection with INTROSPECTION=false and still answers queries", async () => {
    // when
    const introspection = await server.gql(IDE_INTROSPECTION);
    const query = await server.gql(`{ viewer { role } }`);

    // then
    expect(introspection.status).toBe(400);
    expect(introspection.errors![0]!.message).toMatch(/introspection is not allowed/i);
    expect(query.data).toEqual({ viewer: { role: "ANONYMOUS" } });
  });
});

describe("in production (NODE_ENV=production, a real server process)", () => {
  const adminKey = "ak_production_test_key_0123456789";
  let dir: string;
  let child: ChildProcess;
  let url: string;
  let log = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "events-prod-"));
    child = spawn(process.execPath, ["dist/main.js", "serve"], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "production",
        PORT: "0",
        HOST: "127.0.0.1",
        DATABASE_URL: `file:${join(dir, "events.db")}`,
        MAIL_DIR: join(dir, "mail"),
        SEED_DEMO: "true",
        WORKER: "false",
        ADMIN_API_KEY: adminKey,
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 45_000);
      const poll = setInterval(() => {
        const match = /IDE \(GraphQL Playground\):\s+(\S+)/.exec(log);
        if (match) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve(match[1]!);
        }
      }, 50);
      child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
    });
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function gql(query: string, variables?: Record<string, unknown>, token?: string) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] }, headers: response.headers };
  }

  it("gives no field, argument or enum suggestions and no stack traces", async () => {
    // when
    const responses = await Promise.all([
      gql(`{ evnts { id } }`),
      gql(`{ events(frist: 1) { totalCount } }`),
      gql(`{ events(filter: { status: [PUBLISHD] }) { totalCount } }`),
      gql(`query ($s: [EventStatus!]) { events(filter: { status: $s }) { totalCount } }`, { s: ["PUBLISHD"] }),
    ]);

    // then
    for (const { status, body } of responses) {
      expect(status).toBe(400);
      expect(body.errors!.length).toBeGreaterThan(0);
      for (const error of body.errors!) {
        expect(error.message).not.toMatch(/did you mean/i);
        expect(error.extensions?.stacktrace).toBeUndefined();
      }
    }
    expect(responses[0]!.body.errors![0]!.message).toBe('Cannot query field "evnts" on type "Query".');
  });

  it("masks an unexpected error as INTERNAL_SERVER_ERROR with a request id that is in the log", async () => {
    // given: the venues table disappears under the running server (this process always
    // runs on a SQLite file of its own, whichever dialect the suite runs on)
    const db = new Database(join(dir, "events.db"));
    db.exec("ALTER TABLE venues RENAME TO venues_elsewhere");
    db.close();

    // when
    const { status, body, headers } = await gql(`{ events { edges { node { title venue { name } } } } }`);

    // then
    const error = body.errors![0]!;
    expect(error.message).toBe("Internal server error");
    expect(error.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR", requestId: expect.any(String) });
    expect(JSON.stringify(body)).not.toMatch(/venues|sqlite|no such table/i);
    expect(status).toBe(200);
    expect(headers.get("x-request-id")).toBe(error.extensions!.requestId);
    const logLine = () => log.split("\n").find((entry) => entry.includes(error.extensions!.requestId) && entry.includes("unexpected error")) ?? "";
    await expect.poll(logLine, { timeout: 5_000 }).toMatch(/no such table: venues/);
  });

  it("keeps introspection on by default for the IDE", async () => {
    // when
    const { body } = await gql(`{ __schema { queryType { name } } }`, undefined, adminKey);

    // then
    expect(body).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
  });
});
