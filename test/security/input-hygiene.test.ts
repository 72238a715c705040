import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uclaFacultyCenter } from "../../src/demo/mbt-course.js";
import { snapshotDatabase } from "../helpers/db-snapshot.js";
import { courseInput, createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { createPartner, rowCounts } from "./fixtures.js";

/*
 * Input hygiene, field by field (README "Input lengths"): every string a caller sends is
 * walked, the GraphQL type of each one read from the schema, and hostile characters put
 * into it. One-line String fields refuse line breaks, NUL and invisible direction
 * controls with an INVALID userError naming the field; multi-line ones (descriptions,
 * notes, reasons, needs, details) take LF, CRLF and TAB but refuse the rest; typed
 * scalars (URL, EmailAddress, TimeZone…) and enums are GraphQL errors. Nothing is stored.
 * Lengths count characters as a reader sees them: 100 emoji fit a 100-character name.
 */

const MUTATIONS = {
  register: `mutation ($input: RegisterInput!) { register(input: $input) { registration { id attendee { firstName } accessibilityNeeds } userErrors { field message code } } }`,
  subscribeToNewsletter: `mutation ($input: NewsletterInput!) { subscribeToNewsletter(input: $input) { ok userErrors { field message code } } }`,
  cancelRegistration: `mutation ($input: CancelRegistrationInput!) { cancelRegistration(input: $input) { registration { id } userErrors { field message code } } }`,
  requestEarlyAccess: `mutation ($input: RequestEarlyAccessInput!) { requestEarlyAccess(input: $input) { registration { id } userErrors { field message code } } }`,
  reviewRegistration: `mutation ($input: ReviewRegistrationInput!) { reviewRegistration(input: $input) { registration { id } userErrors { field message code } } }`,
  recordPayment: `mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { registration { id } userErrors { field message code } } }`,
  createOrganisation: `mutation ($input: OrganisationInput!) { createOrganisation(input: $input) { organisation { id name } userErrors { field message code } } }`,
  updateOrganisation: `mutation ($id: ID!, $input: OrganisationInput!) { updateOrganisation(id: $id, input: $input) { organisation { id } userErrors { field message code } } }`,
  createVenue: `mutation ($input: VenueInput!) { createVenue(input: $input) { venue { id name } userErrors { field message code } } }`,
  updateVenue: `mutation ($id: ID!, $input: VenueInput!) { updateVenue(id: $id, input: $input) { venue { id } userErrors { field message code } } }`,
  createEvent: `mutation ($input: EventInput!) { createEvent(input: $input) { event { id } userErrors { field message code } } }`,
  updateEvent: `mutation ($id: ID!, $input: EventInput!) { updateEvent(id: $id, input: $input) { event { id } userErrors { field message code } } }`,
  setEventPartners: `mutation ($eventId: ID!, $partners: [EventPartnerInput!]!) { setEventPartners(eventId: $eventId, partners: $partners) { event { id } userErrors { field message code } } }`,
  cancelEvent: `mutation ($id: ID!, $reason: String) { cancelEvent(id: $id, reason: $reason) { event { id } userErrors { field message code } } }`,
  createApiKey: `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { key userErrors { field message code } } }`,
  requestSignInLink: `mutation ($email: EmailAddress!) { requestSignInLink(email: $email) { ok userErrors { field message code } } }`,
  signInWithLink: `mutation ($token: String!) { signInWithLink(token: $token) { sessionToken userErrors { field message code } } }`,
  confirmNewsletterSubscription: `mutation ($token: String!) { confirmNewsletterSubscription(token: $token) { ok userErrors { field message code } } }`,
  unsubscribeFromNewsletter: `mutation ($token: String!) { unsubscribeFromNewsletter(token: $token) { ok userErrors { field message code } } }`,
} as const;
type MutationName = keyof typeof MUTATIONS;

const SCHEMA_TYPES = /* GraphQL */ `
  {
    __schema {
      mutationType { fields { name args { name type { ...Ref } } } }
      types { name kind inputFields { name type { ...Ref } } }
    }
  }
  fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
`;

const REGISTRATION_NEEDS = `query ($id: ID) { registration(id: $id) { accessibilityNeeds eligibilityAnswers { details } } }`;

/** String fields that may run over several lines (paths without list indices). */
const MULTI_LINE = new Set([
  "register input.accessibilityNeeds",
  "register input.eligibilityAnswers.details",
  "cancelRegistration input.reason",
  "requestEarlyAccess input.reason",
  "reviewRegistration input.note",
  "createVenue input.accessibility.notes",
  "updateVenue input.accessibility.notes",
  "createEvent input.summary",
  "createEvent input.description",
  "createEvent input.audience",
  "createEvent input.prerequisite.description",
  "updateEvent input.summary",
  "updateEvent input.description",
  "updateEvent input.audience",
  "updateEvent input.prerequisite.description",
  "cancelEvent reason",
]);

/** Secrets that are looked up by hash and never stored: any value that is not a live token is INVALID. */
const LOOKED_UP_TOKENS = new Set(["signInWithLink token", "confirmNewsletterSubscription token", "unsubscribeFromNewsletter token"]);

const ONE_LINE_PROBES = { "CR LF": "Ada\r\nLovelace", LF: "Ada\nX-Injected: yes", NUL: "Ada\u0000", "U+202E": "Ada\u202Egnp.exe", "U+2066": "\u2066Ada", TAB: "Ada\tLovelace", "lone surrogate": "Ada\uD800" };
const MULTI_LINE_PROBES = { NUL: "Line one\u0000", "U+202E": "Paid \u202E0001$", BEL: "Line\u0007", "lone CR": "Line one\rLine two", "U+2028": "Line one\u2028Line two", "lone surrogate": "\uDC00Line" };
const MULTI_LINE_TEXT = "Line one\r\nLine two\n\tindented";

/** 100 user-perceived characters of four kinds: a plain emoji, a ZWJ sequence, a flag and a decomposed é. */
const HUNDRED_CHARACTERS = "😀👩‍⚕️🇺🇸e\u0301".repeat(25);

type Path = (string | number)[];

function stringPaths(value: unknown, prefix: Path = []): Path[] {
  if (typeof value === "string") return [prefix];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringPaths(item, [...prefix, index]));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([key, item]) => stringPaths(item, [...prefix, key]));
  return [];
}

function replaceAt(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[head!] = replaceAt(copy[head!], rest, replacement);
  return copy;
}

interface TypeRef {
  kind: string;
  name: string | null;
  ofType?: TypeRef | null;
}

describe("input hygiene: control and invisible characters, and lengths in characters", () => {
  let server: TestServer;
  let course: TestCourse;
  let registrationId: string;
  let organisationId: string;
  let bases: [MutationName, Record<string, unknown>][];
  let leafType: (mutation: MutationName, path: Path) => TypeRef;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RATE_LIMITS: "off" } });
    course = await createCourse(server);
    registrationId = (await server.gql(REGISTER, { input: registrationInput(course) })).data.register.registration.id;
    organisationId = await createPartner(server, "hygiene-partner");

    const { data } = await server.admin(SCHEMA_TYPES);
    const inputTypes = new Map<string, Map<string, TypeRef>>(
      data.__schema.types.filter((type: any) => type.kind === "INPUT_OBJECT").map((type: any) => [type.name, new Map(type.inputFields.map((field: any) => [field.name, field.type]))]),
    );
    const mutationArgs = new Map<string, Map<string, TypeRef>>(data.__schema.mutationType.fields.map((field: any) => [field.name, new Map(field.args.map((arg: any) => [arg.name, arg.type]))]));
    const unwrapNonNull = (type: TypeRef): TypeRef => (type.kind === "NON_NULL" ? unwrapNonNull(type.ofType!) : type);
    leafType = (mutation, path) => {
      let type = unwrapNonNull(mutationArgs.get(mutation)!.get(String(path[0]))!);
      for (const step of path.slice(1)) {
        type = typeof step === "number" ? unwrapNonNull(type.ofType!) : unwrapNonNull(inputTypes.get(type.name!)!.get(step)!);
      }
      return type.kind === "LIST" ? unwrapNonNull(type.ofType!) : type;
    };

    bases = [
      ["register", { input: registrationInput(course, { accessibilityNeeds: "Step-free seating", idempotencyKey: "k-1" }, { phone: "+1 310 555 0100", jobTitle: "Psychologist", professionOther: "Art therapist", profession: "OTHER" }) }],
      ["subscribeToNewsletter", { input: { email: "hygiene@clinic.example", firstName: "Len", consent: true } }],
      ["cancelRegistration", { input: { registrationId, reason: "Cannot travel" } }],
      ["requestEarlyAccess", { input: { registrationId, reason: "On leave" } }],
      ["reviewRegistration", { input: { registrationId, decision: "APPROVE", note: "Meets all criteria" } }],
      ["recordPayment", { input: { registrationId, amountMinor: 100, currency: "USD", method: "card", reference: "ch_1" } }],
      ["createOrganisation", { input: { slug: "hygiene-org", name: "Hygiene Org", website: "https://hygiene.example", email: "org@hygiene.example", phone: "+1 310 555 0100" } }],
      ["updateOrganisation", { id: organisationId, input: { slug: "hygiene-partner", name: "Hygiene Partner", website: "https://hygiene.example", email: "org@hygiene.example", phone: "+1 310 555 0100" } }],
      ["createVenue", { input: { ...uclaFacultyCenter, address: { ...uclaFacultyCenter.address, line2: "Room 2" } } }],
      ["updateVenue", { id: course.venueId, input: { ...uclaFacultyCenter, address: { ...uclaFacultyCenter.address, line2: "Room 2" } } }],
      ["createEvent", { input: courseInput({ venueId: course.venueId, summary: "s", description: "d", audience: "a", bookingUrl: "https://book.example", contactEmail: "robin@mentalizing.example" }) }],
      ["updateEvent", { id: course.id, input: courseInput({ slug: course.slug, venueId: course.venueId, summary: "s", description: "d", audience: "a", bookingUrl: "https://book.example" }) }],
      ["setEventPartners", { eventId: course.id, partners: [{ organisationId, roles: ["HOST"], bookingUrl: "https://book.example" }] }],
      ["cancelEvent", { id: course.id, reason: "Venue closed" }],
      ["createApiKey", { input: { kind: "PUBLISHABLE", name: "site", organisationId, allowedOrigins: ["https://hygiene.example"] } }],
      ["requestSignInLink", { email: "hygiene@clinic.example" }],
      ["signInWithLink", { token: "sl_x" }],
      ["confirmNewsletterSubscription", { token: "nc_x" }],
      ["unsubscribeFromNewsletter", { token: "nu_x" }],
    ];
  });
  afterAll(() => server?.close());

  const fieldName = (mutation: MutationName, path: Path) => `${mutation} ${path.filter((step) => typeof step === "string").join(".")}`;
  const lastName = (path: Path) => String(path.filter((step) => typeof step === "string").at(-1));

  /** What a probe got: "INVALID" (a userError naming the field), "graphql:<code>", "userError:<code>@<field>", or "accepted". */
  async function probe(mutation: MutationName, variables: Record<string, unknown>, path: Path): Promise<string> {
    const { data, errors } = await server.admin(MUTATIONS[mutation], variables);
    if (errors?.length) return `graphql:${errors[0]!.extensions?.code}`;
    const userErrors: { field: string[] | null; message: string; code: string }[] = data[mutation].userErrors;
    if (userErrors.length === 0) return "accepted";
    const here = userErrors.find((error) => JSON.stringify(error.field) === JSON.stringify(path.map(String)));
    if (here?.code === "INVALID" && (LOOKED_UP_TOKENS.has(fieldName(mutation, path)) || here.message.includes(lastName(path)))) return "INVALID";
    return userErrors.map((error) => `userError:${error.code}@${error.field?.join(".")}`).join(",");
  }

  it("refuses line breaks, tabs, NUL and direction controls in every one-line field, and NUL, lone CR and direction controls in multi-line ones, changing nothing", async () => {
    // given
    const before = { rows: (await snapshotDatabase(server)), counts: (await rowCounts(server)) };
    const wrong: string[] = [];
    const kinds = { oneLine: 0, multiLine: 0, typed: 0 };

    // when
    for (const [mutation, variables] of bases) {
      for (const path of stringPaths(variables)) {
        const type = leafType(mutation, path);
        const multiLine = MULTI_LINE.has(fieldName(mutation, path));
        const probes = type.name === "String" && multiLine ? MULTI_LINE_PROBES : ONE_LINE_PROBES;
        // ID fields are lookups: a made-up id is refused however it is spelt, as NOT_FOUND or INVALID.
        const expected = type.name === "String" ? ["INVALID"] : type.name === "ID" ? null : ["graphql:BAD_USER_INPUT"];
        if (type.name === "String") kinds[multiLine ? "multiLine" : "oneLine"] += 1;
        else kinds.typed += 1;
        for (const [label, hostile] of Object.entries(probes)) {
          const outcome = await probe(mutation, replaceAt(variables, path, hostile) as Record<string, unknown>, path);
          const refused = expected ? expected.includes(outcome) : outcome !== "accepted";
          if (!refused) wrong.push(`${fieldName(mutation, path)} [${type.kind} ${type.name}] with ${label}: ${outcome}`);
        }
      }
    }

    // then
    expect(wrong).toEqual([]);
    expect(kinds.oneLine).toBeGreaterThan(50);
    expect(kinds.multiLine).toBe(MULTI_LINE.size);
    expect(kinds.typed).toBeGreaterThan(15);
    expect({ rows: (await snapshotDatabase(server)), counts: (await rowCounts(server)) }).toEqual(before);
  });

  it("says which field and which character, in words", async () => {
    // when
    const { data } = await server.gql(MUTATIONS.register, { input: registrationInput(course, {}, { lastName: "Lovelace\u202Eexe.fdp" }) });

    // then
    expect(data.register.userErrors).toEqual([
      { field: ["input", "attendee", "lastName"], code: "INVALID", message: "lastName must be a single line of visible text; it contains an invisible text-direction control (U+202E)." },
    ]);
  });

  it("accepts LF, CRLF and TAB in every multi-line field and stores CRLF as LF", async () => {
    // given: every multi-line field of each mutation given several lines, in an order in which each is valid
    const order: MutationName[] = ["register", "requestEarlyAccess", "reviewRegistration", "createVenue", "updateVenue", "createEvent", "updateEvent", "cancelRegistration", "cancelEvent"];
    const withLines = (mutation: MutationName) => {
      let variables = bases.find(([name]) => name === mutation)![1];
      for (const path of stringPaths(variables)) if (MULTI_LINE.has(fieldName(mutation, path))) variables = replaceAt(variables, path, MULTI_LINE_TEXT) as Record<string, unknown>;
      if (mutation === "createEvent") variables = replaceAt(variables, ["input", "slug"], "multi-line-event") as Record<string, unknown>;
      return variables;
    };

    // when
    const outcomes: Record<string, unknown> = {};
    let registeredId = "";
    for (const mutation of order) {
      const { data, errors } = await server.admin(MUTATIONS[mutation], withLines(mutation));
      outcomes[mutation] = errors ?? data[mutation].userErrors;
      if (mutation === "register") registeredId = data.register.registration?.id;
    }
    const stored = await server.admin(REGISTRATION_NEEDS, { id: registeredId });

    // then
    expect(outcomes).toEqual(Object.fromEntries(order.map((mutation) => [mutation, []])));
    expect(stored.data.registration.accessibilityNeeds).toBe("Line one\nLine two\n\tindented");
    expect(stored.data.registration.eligibilityAnswers.map((answer: { details: string | null }) => answer.details).filter(Boolean)).toEqual(["Line one\nLine two\n\tindented"]);
  });

  it("counts characters as a reader sees them: 100 emoji fit a 100-character name, 101 are TOO_LONG", async () => {
    // given
    const next = await createCourse(server);

    // when
    const hundred = await server.gql(MUTATIONS.register, { input: registrationInput(next, {}, { firstName: HUNDRED_CHARACTERS }) });
    const hundredAndOne = await server.gql(MUTATIONS.register, { input: registrationInput(next, {}, { firstName: `${HUNDRED_CHARACTERS}😀` }) });
    const organisation = await server.admin(MUTATIONS.createOrganisation, { input: { slug: "emoji-org", name: "👩‍⚕️".repeat(200) } });
    const longerOrganisation = await server.admin(MUTATIONS.createOrganisation, { input: { slug: "emoji-org-2", name: "👩‍⚕️".repeat(201) } });

    // then
    expect(HUNDRED_CHARACTERS.length).toBe(325); // UTF-16 code units: what used to be counted
    expect(hundred.data.register.userErrors).toEqual([]);
    expect(hundred.data.register.registration.attendee.firstName).toBe(HUNDRED_CHARACTERS);
    expect(hundredAndOne.data.register.userErrors).toEqual([{ field: ["input", "attendee", "firstName"], code: "TOO_LONG", message: "firstName must be at most 100 characters." }]);
    expect(organisation.data.createOrganisation.userErrors).toEqual([]);
    expect(organisation.data.createOrganisation.organisation.name).toBe("👩‍⚕️".repeat(200));
    expect(longerOrganisation.data.createOrganisation.userErrors).toEqual([{ field: ["input", "name"], code: "TOO_LONG", message: "name must be at most 200 characters." }]);
  });

  it("does not let one letter with thousands of combining marks pass for one character", async () => {
    // given
    const next = await createCourse(server);

    // when
    const { data } = await server.gql(MUTATIONS.register, { input: registrationInput(next, {}, { firstName: `Z${"\u0301".repeat(5_000)}` }) });

    // then
    expect(data.register.userErrors).toEqual([{ field: ["input", "attendee", "firstName"], code: "INVALID", message: expect.stringContaining("firstName contains a character built from more than 32 code points") }]);
  });
});
