import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uclaFacultyCenter } from "../../src/demo/mbt-course.js";
import { snapshotDatabase } from "../helpers/db-snapshot.js";
import { courseInput, createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { createKey, createPartner } from "./fixtures.js";

/*
 * Malformed requests of every kind, generated from a fixed seed so a failure replays.
 * The server must answer each with a 4xx or a GraphQL error (never a 5xx or a masked
 * INTERNAL_SERVER_ERROR), stay up, and leave every row of the database as it was.
 */

const SEED = 20231004;

/** mulberry32: small, fast, deterministic. */
function rng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

const random = rng(SEED);

const OPERATIONS = {
  events: `query Events($first: Int, $after: String, $filter: EventFilter) { events(first: $first, after: $after, filter: $filter) { totalCount edges { node { id title venue { name } sessions { localStart } } } } }`,
  event: `query Event($id: ID, $slug: String) { event(id: $id, slug: $slug) { id title registrationOpen } }`,
  node: `query Node($id: ID!) { node(id: $id) { id ... on Registration { attendee { email } } } }`,
  registration: `query Registration($id: ID, $reference: String) { registration(id: $id, reference: $reference) { id attendee { email } } }`,
  registrations: `query Registrations($eventId: ID, $search: String, $first: Int, $status: [RegistrationStatus!]) { registrations(eventId: $eventId, search: $search, first: $first, status: $status) { totalCount } }`,
  register: REGISTER,
  subscribe: `mutation Subscribe($input: NewsletterInput!) { subscribeToNewsletter(input: $input) { ok userErrors { code } } }`,
  signIn: `mutation Link($email: EmailAddress!) { requestSignInLink(email: $email) { ok } }`,
  signInWithLink: `mutation SignIn($token: String!) { signInWithLink(token: $token) { sessionToken userErrors { code } } }`,
  cancel: `mutation Cancel($input: CancelRegistrationInput!) { cancelRegistration(input: $input) { userErrors { code } } }`,
  earlyAccess: `mutation Early($input: RequestEarlyAccessInput!) { requestEarlyAccess(input: $input) { userErrors { code } } }`,
  review: `mutation Review($input: ReviewRegistrationInput!) { reviewRegistration(input: $input) { userErrors { code } } }`,
  payment: `mutation Pay($input: RecordPaymentInput!) { recordPayment(input: $input) { userErrors { code } } }`,
  createOrganisation: `mutation Org($input: OrganisationInput!) { createOrganisation(input: $input) { organisation { id } userErrors { code } } }`,
  createVenue: `mutation Venue($input: VenueInput!) { createVenue(input: $input) { venue { id } userErrors { code } } }`,
  createEvent: `mutation NewEvent($input: EventInput!) { createEvent(input: $input) { event { id } userErrors { code } } }`,
  createApiKey: `mutation Key($input: CreateApiKeyInput!) { createApiKey(input: $input) { key userErrors { code } } }`,
  revokeApiKey: `mutation Revoke($id: ID!) { revokeApiKey(id: $id) { userErrors { code } } }`,
} as const;

type OperationName = keyof typeof OPERATIONS;

interface FuzzRequest {
  kind: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

const weirdStrings = ["", " ", "\u0000", "\ud83d\ude00", "'; DROP TABLE registrations; --", "<script>alert(1)</script>", "${jndi:ldap://x}", "../../etc/passwd", "%00", "\u202e", "null", "undefined", "NaN", "-1", "1e309", "evt_", "reg_00000000000000000000000000", "key_01ARZ3NDEKTSV4RRFFQ69G5FAV"];
const weirdNumbers = [0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e308, -1e308, 0.5, 1e-320];

function randomString(max = 40): string {
  if (random.next() < 0.4) return random.pick(weirdStrings);
  let text = "";
  const length = random.int(max);
  for (let i = 0; i < length; i++) text += String.fromCharCode(random.next() < 0.8 ? 32 + random.int(95) : random.int(0xd7ff));
  return text;
}

function randomJson(depth = 0): unknown {
  const roll = random.int(depth > 3 ? 4 : 7);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return random.next() < 0.5;
    case 2:
      return random.pick(weirdNumbers);
    case 3:
      return randomString();
    case 4:
      return Array.from({ length: random.int(4) }, () => randomJson(depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: random.int(4) }, () => [random.pick(["query", "variables", "operationName", "extensions", randomString(8)]), randomJson(depth + 1)]));
  }
}

/** A value of the wrong GraphQL type for whatever it replaces (never null: null is valid for nullable fields). */
function wrongTypeFor(value: unknown): unknown {
  if (typeof value === "string") return random.pick<unknown>([random.pick(weirdNumbers), true, {}, [value], { value }]);
  if (typeof value === "number") return random.pick<unknown>(["12", 1.5, 2 ** 40, true, [value], {}, "NaN"]);
  if (typeof value === "boolean") return random.pick<unknown>(["true", 1, [value], {}]);
  if (Array.isArray(value)) return random.pick<unknown>(["list", 7, [[value]], true]);
  if (value && typeof value === "object") return random.pick<unknown>([[[value]], "object", 3, true]);
  return random.pick<unknown>([{}, [], "x"]);
}

/** Paths of every leaf (and object/list) in a JSON value. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const own = prefix.length ? [prefix] : [];
  if (Array.isArray(value)) return [...own, ...value.flatMap((item, index) => paths(item, [...prefix, index]))];
  if (value && typeof value === "object") return [...own, ...Object.entries(value).flatMap(([key, item]) => paths(item, [...prefix, key]))];
  return own;
}

function replaceAt(value: unknown, path: (string | number)[], replacement: (old: unknown) => unknown): unknown {
  if (path.length === 0) return replacement(value);
  const [head, ...rest] = path;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[head!] = replaceAt(copy[head!], rest, replacement);
  return copy;
}

function json(body: unknown, headers: Record<string, string> = {}): FuzzRequest {
  return { kind: "json", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

describe("fuzzing the HTTP endpoint", () => {
  let server: TestServer;
  let course: TestCourse;
  let registrationId: string;
  let manageToken: string;
  let secretKey: string;
  let validVariables: Record<OperationName, Record<string, unknown>>;
  let tokens: (string | null)[];

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RATE_LIMITS: "off" } });
    course = await createCourse(server);
    const registered = await server.gql(REGISTER, { input: registrationInput(course) });
    registrationId = registered.data.register.registration.id;
    manageToken = registered.data.register.manageToken;
    const partner = await createPartner(server, "fuzz-partner");
    secretKey = (await createKey(server, { kind: "SECRET", organisationId: partner })).key;
    tokens = [null, null, server.adminKey, manageToken, secretKey];
    validVariables = {
      events: { first: 10, filter: { status: ["PUBLISHED"] } },
      event: { id: course.id },
      node: { id: registrationId },
      registration: { id: registrationId },
      registrations: { eventId: course.id, first: 5, search: "Ada" },
      register: { input: registrationInput(course, { accessibilityNeeds: "Step-free seating", idempotencyKey: "fuzz-key" }, { phone: "+1 310 555 0100", jobTitle: "Psychologist" }) },
      subscribe: { input: { email: "fuzz@clinic.example", firstName: "Fuzz", consent: true } },
      signIn: { email: "fuzz@clinic.example" },
      signInWithLink: { token: "sl_notarealtoken" },
      cancel: { input: { registrationId, reason: "Cannot travel" } },
      earlyAccess: { input: { registrationId, reason: "On leave" } },
      review: { input: { registrationId, decision: "APPROVE", note: "ok" } },
      payment: { input: { registrationId, amountMinor: 100, currency: "USD", method: "card", reference: "ch_1" } },
      createOrganisation: { input: { slug: "fuzz-org", name: "Fuzz Org", website: "https://fuzz.example", email: "org@fuzz.example", phone: "+1 310 555 0100" } },
      createVenue: { input: uclaFacultyCenter },
      createEvent: { input: courseInput({ venueId: course.venueId }) },
      createApiKey: { input: { kind: "PUBLISHABLE", name: "fuzz", organisationId: partner, allowedOrigins: ["https://fuzz.example"] } },
      revokeApiKey: { id: "key_01ARZ3NDEKTSV4RRFFQ69G5FAV" },
    };
    // Warm-up: the admin key's last-used time is written at most once a minute; write it now.
    for (const token of tokens) if (token) await server.gql(`{ viewer { role } }`, {}, { token });
  });
  afterAll(() => server?.close());

  function withToken(request: FuzzRequest): FuzzRequest {
    const token = random.pick(tokens);
    return token ? { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } } : request;
  }

  function operation(): [OperationName, string] {
    const name = random.pick(Object.keys(OPERATIONS) as OperationName[]);
    return [name, OPERATIONS[name]];
  }

  const generators: Record<string, { count: number; make: () => FuzzRequest }> = {
    "random JSON bodies": { count: 150, make: () => withToken(json(randomJson())) },
    "wrong types in variables": {
      count: 250,
      make: () => {
        const [name, query] = operation();
        const variables = validVariables[name];
        const target = random.pick(paths(variables));
        return withToken(json({ query, variables: replaceAt(variables, target, wrongTypeFor) }));
      },
    },
    "wrong types for the envelope": {
      count: 50,
      make: () => {
        const [name, query] = operation();
        const envelope = { query, variables: validVariables[name], operationName: null, extensions: {} };
        const key = random.pick(["query", "variables", "operationName", "extensions"] as const);
        return withToken(json({ ...envelope, [key]: wrongTypeFor(envelope[key] ?? "x") }));
      },
    },
    "huge strings": {
      count: 120,
      make: () => {
        const [name, query] = operation();
        const variables = validVariables[name];
        const strings = paths(variables).filter((path) => typeof path.reduce<any>((node, key) => node?.[key], variables) === "string");
        // Above the longest documented limit (20,000 for descriptions), up to past the body limit.
        const size = random.pick([20_001, 30_000, 120_000, 250_000, 300_000]);
        const huge = (old: unknown) => (random.next() < 0.5 ? String(old).repeat(Math.ceil(size / Math.max(1, String(old).length))).slice(0, size) : randomString(20).padEnd(size, "ü"));
        const target = strings.length ? random.pick(strings) : ["padding"];
        return withToken(json({ query, variables: replaceAt(variables, target, huge) }));
      },
    },
    "deep nesting": {
      count: 100,
      make: () => {
        const depth = random.pick([100, 1_000, 5_000, 20_000]);
        const nestedArray = "[".repeat(depth) + "]".repeat(depth);
        const nestedObject = '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
        // Built as text: the test's own JSON.stringify would overflow its stack on these.
        const raw = (template: unknown, nested: string): FuzzRequest => ({ kind: "json", headers: { "content-type": "application/json" }, body: JSON.stringify(template).replace('"__NESTED__"', nested) });
        switch (random.int(5)) {
          case 0:
            return raw({ query: OPERATIONS.events, variables: { filter: "__NESTED__" } }, nestedArray);
          case 1:
            return raw({ query: "{ viewer { role } }", variables: "__NESTED__" }, nestedObject);
          case 2:
            return json({ query: "{ " + "event { ".repeat(depth) + "id" + " }".repeat(depth) + " }" });
          case 3:
            return json({ query: `{ events(filter: { status: ${"[".repeat(depth)}PUBLISHED${"]".repeat(depth)} }) { totalCount } }` });
          default:
            return withToken(raw({ query: OPERATIONS.register, variables: { input: { ...validVariables.register.input as object, attendee: "__NESTED__" } } }, nestedObject));
        }
      },
    },
    "invalid UTF-8": {
      count: 100,
      make: () => {
        const valid = Buffer.from(JSON.stringify({ query: OPERATIONS.register, variables: validVariables.register }));
        const bytes = random.next() < 0.3 ? Buffer.from(Array.from({ length: 1 + random.int(500) }, () => random.int(256))) : Buffer.from(valid);
        for (let i = 0; i < random.int(5); i++) bytes[random.int(bytes.length)] = random.pick([0xfe, 0xc0, 0xc3, 0xed, 0x80, 0xf8]);
        bytes[random.int(bytes.length)] = 0xff; // never valid anywhere in UTF-8
        const lone = random.next() < 0.3 ? Buffer.from(JSON.stringify({ query: "{ viewer { role } }", variables: { x: "\ud800" } }).replace("\\ud800", "\\udc00\\ud800")) : bytes;
        return withToken({ kind: "utf8", headers: { "content-type": random.pick(["application/json", "application/json; charset=utf-8", "application/json; charset=latin1"]) }, body: new Uint8Array(lone) });
      },
    },
    "unknown or ambiguous operations": {
      count: 120,
      make: () => {
        const documents = [
          ["{ viewer { role } }", "Missing"],
          ["query A { viewer { role } } query B { viewer { role } }", null],
          ["query A { viewer { role } } query A { viewer { role } }", "A"],
          ["subscription S { events { totalCount } }", null],
          ["fragment F on Query { viewer { role } }", null],
          ["query { ...F } fragment F on Query { ...F }", null],
          ["query ($x: Int) { events(first: $y) { totalCount } }", null],
          ["{ unknownField }", null],
          ["{ events(unknownArg: 1) { totalCount } }", null],
          ["mutation { dropEverything }", null],
          ["query { __type(name: 123) { name } }", null],
          ["{ node(id: \"" + "x".repeat(random.int(5000)) + "\") { id } }", null],
          [randomString(200), null],
          ["{ event(id: \"evt_1\", slug: \"both\") { id } }", null],
          ["{ registration { id } }", null],
          ["mutation { register(input: {}) { manageToken } }", null],
        ] as const;
        const [query, operationName] = random.pick(documents);
        const asGet = random.next() < 0.3;
        if (asGet) {
          const params = new URLSearchParams({ query, ...(operationName ? { operationName } : {}), variables: random.pick(["{", "[]", "null", JSON.stringify(randomJson())]) });
          return withToken({ kind: "get", method: "GET", path: `?${params}`, headers: { "apollo-require-preflight": "true" } });
        }
        return withToken(json({ query, operationName }));
      },
    },
    "wrong content types and methods": {
      count: 100,
      make: () => {
        // A valid subscription: if a content type a browser may send cross-site without a
        // preflight ever got through CSRF prevention, a row would appear.
        const body = JSON.stringify({ query: OPERATIONS.subscribe, variables: validVariables.subscribe });
        const contentType = random.pick(["text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/graphql", "", "application/json; charset=utf-16", "application/json; charset=latin1", "*/*", "application/jsonp", "image/png"]);
        const method = random.pick(["POST", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
        return withToken({ kind: "content-type", method, headers: contentType ? { "content-type": contentType } : {}, body: random.next() < 0.5 ? body : `query=${encodeURIComponent(OPERATIONS.subscribe)}` });
      },
    },
    "malformed credentials and headers": {
      count: 100,
      make: () => {
        const authorization = random.pick([
          "Bearer",
          "Bearer ",
          "Basic dXNlcjpwYXNz",
          `Bearer ${"a".repeat(201)}`,
          `Bearer mt_${randomString(30).replace(/[^A-Za-z0-9_-]/g, "")}`,
          `Bearer st_${"x".repeat(32)}`,
          `Bearer sk_${"x".repeat(32)}`,
          `Bearer ${manageToken}x`,
          `Bearer ${server.adminKey.slice(0, -1)}`,
          "bearer " + secretKey,
          `Bearer ${secretKey} ${secretKey}`,
          `X${encodeURIComponent(randomString(50))}`,
        ]);
        const origin = random.pick(["null", "https://evil.example", "file://", "https://" + "a".repeat(300) + ".example", encodeURIComponent(randomString(20))]);
        const [name, query] = operation();
        return json({ query, variables: validVariables[name] }, { authorization, origin, "x-request-id": random.pick(["", "x".repeat(2000), "id with spaces", "../../etc"]) });
      },
    },
  };

  /** Every row of every table, keys' last use included, as one hash. */
  async function snapshot(): Promise<string> {
    const tables = await snapshotDatabase(server, { ignore: [] });
    const hash = createHash("sha256");
    for (const [name, rows] of Object.entries(tables)) hash.update(name + JSON.stringify(rows));
    return hash.digest("hex");
  }

  it("answers 1,000+ malformed requests without a 5xx or a masked internal error, and changes no row", async () => {
    // given
    const before = await snapshot();
    const requests = Object.entries(generators).flatMap(([kind, { count, make }]) => Array.from({ length: count }, () => ({ ...make(), kind })));
    expect(requests.length).toBeGreaterThanOrEqual(1_000);

    // when: ten at a time, like a busy client
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let start = 0; start < requests.length; start += 10) {
      await Promise.all(
        requests.slice(start, start + 10).map(async (request, offset) => {
          const response = await fetch(server.url + (request.path ?? ""), { method: request.method ?? "POST", headers: request.headers, body: request.method === "GET" ? undefined : request.body });
          const text = await response.text();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (response.status >= 500 || text.includes("INTERNAL_SERVER_ERROR")) {
            failures.push(`#${start + offset} ${request.kind}: ${response.status} ${text.slice(0, 300)}`);
          }
        }),
      );
    }

    // then
    expect(failures).toEqual([]);
    expect(await snapshot()).toBe(before);
    expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
    // every kind of refusal was exercised: GraphQL errors (200), bad requests, bad
    // credentials, forbidden origins, unknown routes, too large, wrong media type
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([200, 400, 401, 403, 404, 413, 415]));
  });

  it("is still alive and answering afterwards", async () => {
    // when
    const health = await fetch(server.url.replace(/\/graphql$/, "/healthz"));
    const { data } = await server.gql(`query ($id: ID) { event(id: $id) { id } }`, { id: course.id });

    // then
    expect(health.status).toBe(200);
    expect(data.event.id).toBe(course.id);
  });
});
