import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uclaFacultyCenter } from "../../src/demo/mbt-course.js";
import { courseInput, createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { emailedToken } from "../helpers/outbox.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { createKey, createPartner, REVOKE_API_KEY, setPartners } from "./fixtures.js";

/*
 * The access table of DESIGN.md ("Who may do what"), row by row: every query and mutation
 * of the schema, for every kind of caller, over HTTP. Each cell is what the caller gets:
 * a summary of the data, a GraphQL error code, or a userError code. Afterwards every
 * response is searched for attendee data the caller may not see.
 */

const callerKinds = [
  "anonymous",
  "publishable",
  "foreignOrigin",
  "partnerWithRole",
  "partnerWithoutRole",
  "sponsor",
  "registrantA",
  "sessionA",
  "revokedKey",
  "malformedKey",
  "admin",
] as const;
type Caller = (typeof callerKinds)[number];
type Expected = Record<Caller, string>;

/** Callers whose credentials are refused before anything runs get the same answer everywhere. */
const refusedCallers = { foreignOrigin: "FORBIDDEN", revokedKey: "UNAUTHENTICATED", malformedKey: "UNAUTHENTICATED" } as const;

const adminOnly: Expected = {
  anonymous: "UNAUTHENTICATED",
  publishable: "FORBIDDEN",
  partnerWithRole: "FORBIDDEN",
  partnerWithoutRole: "FORBIDDEN",
  sponsor: "FORBIDDEN",
  registrantA: "FORBIDDEN",
  sessionA: "FORBIDDEN",
  admin: "ok",
  ...refusedCallers,
};

const everyone = (value: string, overrides: Partial<Expected> = {}): Expected => ({
  anonymous: value,
  publishable: value,
  partnerWithRole: value,
  partnerWithoutRole: value,
  sponsor: value,
  registrantA: value,
  sessionA: value,
  admin: value,
  ...refusedCallers,
  ...overrides,
});

const PARTNER_ORIGIN = "https://www.partner-p.example";
const UNKNOWN_REGISTRATION = "reg_01ARZ3NDEKTSV4RRFFQ69G5FAV";
const UNKNOWN_EVENT = "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV";
const UNKNOWN_ENDPOINT = "whe_01ARZ3NDEKTSV4RRFFQ69G5FAV";

const ATTENDEE_LIST = `edges { node { attendee { email lastName } } }`;

interface Row {
  /** The root field of the schema this row exercises. */
  field: string;
  name: string;
  query: string;
  variables?: (caller: Caller) => Record<string, unknown> | Promise<Record<string, unknown>>;
  summarise: (data: any) => string;
  expected: Expected;
}

interface Registered {
  id: string;
  reference: string;
  email: string;
  lastName: string;
  manageToken: string;
}

describe("the access table", () => {
  let server: TestServer;
  let e1: TestCourse;
  let e2: TestCourse;
  let draft: TestCourse;
  let headers: Record<Caller, Record<string, string>>;
  const regs: Record<"A" | "B" | "P" | "A2" | "E2", Registered> = {} as never;
  const labelByLastName = new Map<string, string>();
  const responses: { caller: Caller; row: string; body: string }[] = [];
  const emailA = "anna.a@clinic.example";

  async function registerAs(course: TestCourse, email: string, requestHeaders: Record<string, string> = {}): Promise<Registered> {
    const input = registrationInput(course, {}, { email });
    const { data, errors } = await server.gql(REGISTER, { input }, { headers: requestHeaders });
    if (!data?.register?.registration) throw new Error(`register failed: ${JSON.stringify(errors ?? data)}`);
    const { id, reference } = data.register.registration;
    return { id, reference, email, lastName: input.attendee.lastName as string, manageToken: data.register.manageToken };
  }

  let e1Session: string | undefined;
  const e1SessionId = async (): Promise<string> => {
    e1Session ??= (await server.admin(`query ($id: ID) { event(id: $id) { sessions { id } } }`, { id: e1.id })).data.event.sessions[0].id as string;
    return e1Session!;
  };

  /** A registration on E1 nobody in the table owns, for mutations that would change it. */
  const freshTarget = () => registerAs(e1, `target.${Math.random().toString(36).slice(2)}@clinic.example`);

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RATE_LIMITS: "off" } });
    e1 = await createCourse(server);
    e2 = await createCourse(server);
    draft = await createCourse(server, {}, { publish: false });
    const host = await createPartner(server, "host-h");
    const sponsorOrg = await createPartner(server, "sponsor-s");
    const partnerP = await createPartner(server, "partner-p");
    await setPartners(server, e1.id, [
      { organisationId: host, roles: ["HOST", "DELIVERY_PARTNER"] },
      { organisationId: sponsorOrg, roles: ["SPONSOR"] },
    ]);
    const skH = await createKey(server, { kind: "SECRET", organisationId: host });
    const skS = await createKey(server, { kind: "SECRET", organisationId: sponsorOrg });
    const skP = await createKey(server, { kind: "SECRET", organisationId: partnerP });
    const pkP = await createKey(server, { kind: "PUBLISHABLE", organisationId: partnerP, allowedOrigins: [PARTNER_ORIGIN] });
    const revoked = await createKey(server, { kind: "SECRET", organisationId: host });
    await server.admin(REVOKE_API_KEY, { id: revoked.id });

    regs.A = await registerAs(e1, emailA);
    regs.B = await registerAs(e1, "bert.b@clinic.example");
    regs.P = await registerAs(e1, "pia.p@clinic.example", { authorization: `Bearer ${pkP.key}`, origin: PARTNER_ORIGIN });
    regs.A2 = await registerAs(e2, emailA);
    regs.E2 = await registerAs(e2, "erin.e2@clinic.example");
    for (const [label, reg] of Object.entries(regs)) labelByLastName.set(reg.lastName, label);

    await server.gql(`mutation ($email: EmailAddress!) { requestSignInLink(email: $email) { ok } }`, { email: emailA });
    const link = await emailedToken(server, emailA, "REGISTRANT_SIGN_IN", "sign-in");
    const signedIn = await server.gql(`mutation ($token: String!) { signInWithLink(token: $token) { sessionToken } }`, { token: link });
    const sessionToken = signedIn.data.signInWithLink.sessionToken as string;

    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    headers = {
      anonymous: {},
      publishable: { ...bearer(pkP.key), origin: PARTNER_ORIGIN },
      foreignOrigin: { ...bearer(pkP.key), origin: "https://evil.example" },
      partnerWithRole: bearer(skH.key),
      partnerWithoutRole: bearer(skP.key),
      sponsor: bearer(skS.key),
      registrantA: bearer(regs.A.manageToken),
      sessionA: bearer(sessionToken),
      revokedKey: bearer(revoked.key),
      malformedKey: { authorization: "Bearer sk_not a key" },
      admin: bearer(server.adminKey),
    };
  });
  afterAll(() => server?.close());

  /** "A,B,P": the known registrations among a list of attendees, sorted. */
  type WithAttendee = { attendee: { lastName: string } };
  const labels = (edgesOrNodes: { node?: WithAttendee; attendee?: { lastName: string } }[]) =>
    edgesOrNodes
      .map((item) => labelByLastName.get((item.node ?? (item as WithAttendee)).attendee.lastName))
      .filter(Boolean)
      .sort()
      .join(",") || "none";
  const emailLabel = (registration: WithAttendee | null) => (registration ? (labelByLastName.get(registration.attendee.lastName) ?? "other") : "null");
  const userErrorOr = (payload: { userErrors: { code: string }[] }, ok: () => string) => payload.userErrors[0]?.code ?? ok();

  async function cell(row: Row, caller: Caller): Promise<string> {
    const variables = (await row.variables?.(caller)) ?? {};
    const response = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json", ...headers[caller] }, body: JSON.stringify({ query: row.query, variables }) });
    const body = await response.text();
    responses.push({ caller, row: row.name, body });
    const parsed = JSON.parse(body) as { data?: any; errors?: { extensions?: { code?: string } }[] };
    if (parsed.errors?.length) return parsed.errors[0]!.extensions?.code ?? "error";
    return row.summarise(parsed.data);
  }

  const rows = (): Row[] => [
    // ---- queries -------------------------------------------------------------------
    {
      field: "viewer",
      name: "viewer",
      query: `{ viewer { role organisation { slug } email } }`,
      summarise: (d) => [d.viewer.role, d.viewer.organisation?.slug, d.viewer.email].filter(Boolean).join(" "),
      expected: {
        anonymous: "ANONYMOUS",
        publishable: "PARTNER partner-p",
        partnerWithRole: "PARTNER host-h",
        partnerWithoutRole: "PARTNER partner-p",
        sponsor: "PARTNER sponsor-s",
        registrantA: `REGISTRANT ${emailA}`,
        sessionA: `REGISTRANT ${emailA}`,
        admin: "ADMIN",
        ...refusedCallers,
      },
    },
    {
      field: "events",
      name: "events: drafts only for admins",
      query: `{ events(first: 100) { edges { node { id } } } }`,
      summarise: (d) => {
        const ids = d.events.edges.map((edge: { node: { id: string } }) => edge.node.id);
        return `${ids.includes(e1.id) && ids.includes(e2.id) ? "published" : "missing"}${ids.includes(draft.id) ? "+draft" : ""}`;
      },
      expected: everyone("published", { admin: "published+draft" }),
    },
    {
      field: "event",
      name: "event(id) of a draft",
      query: `query ($id: ID) { event(id: $id) { id } }`,
      variables: () => ({ id: draft.id }),
      summarise: (d) => (d.event ? "draft" : "null"),
      expected: everyone("null", { admin: "draft" }),
    },
    {
      field: "node",
      name: "node(id) of a draft event",
      query: `query ($id: ID!) { node(id: $id) { id } }`,
      variables: () => ({ id: draft.id }),
      summarise: (d) => (d.node ? "draft" : "null"),
      expected: everyone("null", { admin: "draft" }),
    },
    {
      field: "node",
      name: "node(id) of B's registration",
      query: `query ($id: ID!) { node(id: $id) { id ... on Registration { attendee { email lastName } } } }`,
      variables: () => ({ id: regs.B.id }),
      summarise: (d) => emailLabel(d.node),
      expected: everyone("null", { partnerWithRole: "B", admin: "B" }),
    },
    {
      field: "node",
      name: "node(id) of the registration that came through P's key, then its event's attendees",
      query: `query ($id: ID!) { node(id: $id) { ... on Registration { attendee { email lastName } event { registrations { ${ATTENDEE_LIST} } } } } }`,
      variables: () => ({ id: regs.P.id }),
      summarise: (d) => (d.node ? `${emailLabel(d.node)} → ${labels(d.node.event.registrations.edges)}` : "null"),
      expected: everyone("null", { partnerWithoutRole: "FORBIDDEN", partnerWithRole: "P → A,B,P", admin: "P → A,B,P" }),
    },
    {
      field: "organisation",
      name: "organisation(slug)",
      query: `{ organisation(slug: "host-h") { slug } }`,
      summarise: (d) => d.organisation?.slug ?? "null",
      expected: everyone("host-h"),
    },
    {
      field: "venues",
      name: "venues: a draft's venue only for admins",
      query: `{ venues(first: 100) { edges { node { id } } } }`,
      summarise: (d) => {
        const ids = d.venues.edges.map((edge: { node: { id: string } }) => edge.node.id);
        return `${ids.includes(e1.venueId) && ids.includes(e2.venueId) ? "published" : "missing"}${ids.includes(draft.venueId) ? "+draft" : ""}`;
      },
      expected: everyone("published", { admin: "published+draft" }),
    },
    {
      field: "organisations",
      name: "organisations: those in no published event only for admins",
      query: `{ organisations(first: 100) { edges { node { slug } } } }`,
      summarise: (d) => {
        const slugs = d.organisations.edges.map((edge: { node: { slug: string } }) => edge.node.slug);
        return `${slugs.includes("host-h") && slugs.includes("sponsor-s") ? "published" : "missing"}${slugs.includes("partner-p") ? "+unlisted" : ""}`;
      },
      expected: everyone("published", { admin: "published+unlisted" }),
    },
    {
      field: "registration",
      name: "registration(id) of B",
      query: `query ($id: ID) { registration(id: $id) { attendee { email lastName } } }`,
      variables: () => ({ id: regs.B.id }),
      summarise: (d) => emailLabel(d.registration),
      expected: everyone("null", { anonymous: "UNAUTHENTICATED", partnerWithRole: "B", admin: "B" }),
    },
    {
      field: "registration",
      name: "registration(reference) of B",
      query: `query ($reference: String) { registration(reference: $reference) { attendee { email lastName } } }`,
      variables: () => ({ reference: regs.B.reference }),
      summarise: (d) => emailLabel(d.registration),
      expected: everyone("null", { anonymous: "UNAUTHENTICATED", partnerWithRole: "B", admin: "B" }),
    },
    {
      field: "registration",
      name: "registration(id) of A (A's own)",
      query: `query ($id: ID) { registration(id: $id) { attendee { email lastName } } }`,
      variables: () => ({ id: regs.A.id }),
      summarise: (d) => emailLabel(d.registration),
      expected: everyone("null", { anonymous: "UNAUTHENTICATED", partnerWithRole: "A", registrantA: "A", sessionA: "A", admin: "A" }),
    },
    {
      field: "registration",
      name: "registration(id) of A's other booking (another event)",
      query: `query ($id: ID) { registration(id: $id) { attendee { email lastName } } }`,
      variables: () => ({ id: regs.A2.id }),
      summarise: (d) => emailLabel(d.registration),
      expected: everyone("null", { anonymous: "UNAUTHENTICATED", sessionA: "A2", admin: "A2" }),
    },
    {
      field: "registration",
      name: "registration(id) that came through P's publishable key",
      query: `query ($id: ID) { registration(id: $id) { attendee { email lastName } source { slug } } }`,
      variables: () => ({ id: regs.P.id }),
      summarise: (d) => (d.registration ? `${emailLabel(d.registration)} via ${d.registration.source.slug}` : "null"),
      expected: everyone("null", { anonymous: "UNAUTHENTICATED", partnerWithRole: "P via partner-p", partnerWithoutRole: "P via partner-p", admin: "P via partner-p" }),
    },
    {
      field: "registration",
      name: "registration → event → registrations (an event reached from a registration opens no other attendees)",
      query: `query ($id: ID) { registration(id: $id) { attendee { email lastName } event { registrations { ${ATTENDEE_LIST} } } } }`,
      variables: () => ({ id: regs.A.id }),
      summarise: (d) => (d.registration ? `${emailLabel(d.registration)} → ${labels(d.registration.event.registrations.edges)}` : "null"),
      expected: everyone("null", { anonymous: "UNAUTHENTICATED", registrantA: "FORBIDDEN", sessionA: "FORBIDDEN", partnerWithRole: "A → A,B,P", admin: "A → A,B,P" }),
    },
    {
      field: "registration",
      name: "Registration.emails and .timeline (admins only)",
      query: `query ($id: ID) { registration(id: $id) { emails { id } timeline { action } } }`,
      variables: () => ({ id: regs.A.id }),
      summarise: (d) => (d.registration ? "ok" : "null"),
      expected: everyone("null", { anonymous: "UNAUTHENTICATED", partnerWithRole: "FORBIDDEN", registrantA: "FORBIDDEN", sessionA: "FORBIDDEN", admin: "ok" }),
    },
    {
      field: "registrations",
      name: "registrations",
      query: `{ registrations(first: 100) { ${ATTENDEE_LIST} } }`,
      summarise: (d) => labels(d.registrations.edges),
      expected: {
        anonymous: "UNAUTHENTICATED",
        publishable: "FORBIDDEN",
        partnerWithRole: "A,B,P",
        partnerWithoutRole: "P",
        sponsor: "none",
        registrantA: "A",
        sessionA: "A,A2",
        admin: "A,A2,B,E2,P",
        ...refusedCallers,
      },
    },
    {
      field: "registrations",
      name: "registrations(eventId) of an event the partner has no role in",
      query: `query ($eventId: ID) { registrations(eventId: $eventId, first: 100) { ${ATTENDEE_LIST} } }`,
      variables: () => ({ eventId: e2.id }),
      summarise: (d) => labels(d.registrations.edges),
      expected: {
        anonymous: "UNAUTHENTICATED",
        publishable: "FORBIDDEN",
        partnerWithRole: "none",
        partnerWithoutRole: "none",
        sponsor: "none",
        registrantA: "none",
        sessionA: "A2",
        admin: "A2,E2",
        ...refusedCallers,
      },
    },
    {
      field: "registrations",
      name: "registrations(search) for B's name",
      query: `query ($search: String) { registrations(search: $search, first: 100) { ${ATTENDEE_LIST} } }`,
      variables: () => ({ search: regs.B.lastName }),
      summarise: (d) => labels(d.registrations.edges),
      expected: {
        anonymous: "UNAUTHENTICATED",
        publishable: "FORBIDDEN",
        partnerWithRole: "B",
        partnerWithoutRole: "none",
        sponsor: "none",
        registrantA: "none",
        sessionA: "none",
        admin: "B",
        ...refusedCallers,
      },
    },
    {
      field: "event",
      name: "Event.registrations of E1 (host, delivery partner and sponsor on it)",
      query: `query ($id: ID) { event(id: $id) { registrations(first: 100) { ${ATTENDEE_LIST} } } }`,
      variables: () => ({ id: e1.id }),
      summarise: (d) => labels(d.event.registrations.edges),
      expected: {
        anonymous: "UNAUTHENTICATED",
        publishable: "FORBIDDEN",
        partnerWithRole: "A,B,P",
        partnerWithoutRole: "FORBIDDEN",
        sponsor: "FORBIDDEN",
        registrantA: "FORBIDDEN",
        sessionA: "FORBIDDEN",
        admin: "A,B,P",
        ...refusedCallers,
      },
    },
    {
      field: "myRegistrations",
      name: "myRegistrations",
      query: `{ myRegistrations { attendee { email lastName } } }`,
      summarise: (d) => labels(d.myRegistrations),
      expected: { ...adminOnly, admin: "FORBIDDEN", registrantA: "A", sessionA: "A,A2" },
    },
    {
      field: "emailDeliveries",
      name: "emailDeliveries",
      query: `{ emailDeliveries(first: 5) { totalCount } }`,
      summarise: (d) => (d.emailDeliveries.totalCount > 0 ? "ok" : "empty"),
      expected: adminOnly,
    },
    {
      field: "newsletterSubscribers",
      name: "newsletterSubscribers",
      query: `{ newsletterSubscribers(first: 5) { totalCount } }`,
      summarise: () => "ok",
      expected: adminOnly,
    },
    {
      field: "apiKeys",
      name: "apiKeys",
      query: `{ apiKeys { id } }`,
      summarise: (d) => (d.apiKeys.length > 0 ? "ok" : "empty"),
      expected: adminOnly,
    },
    // ---- public mutations -----------------------------------------------------------
    {
      field: "register",
      name: "register (attributed to the partner of the key)",
      query: `mutation ($input: RegisterInput!) { register(input: $input) { registration { status source { slug } } manageToken userErrors { code } } }`,
      variables: () => ({ input: registrationInput(e1) }),
      summarise: (d) => userErrorOr(d.register, () => `registered${d.register.registration.source ? ` via ${d.register.registration.source.slug}` : ""}`),
      expected: everyone("registered", { publishable: "registered via partner-p", partnerWithRole: "registered via host-h", partnerWithoutRole: "registered via partner-p", sponsor: "registered via sponsor-s" }),
    },
    {
      field: "subscribeToNewsletter",
      name: "subscribeToNewsletter",
      query: `mutation ($email: EmailAddress!) { subscribeToNewsletter(input: { email: $email, consent: true }) { ok userErrors { code } } }`,
      variables: (caller) => ({ email: `news.${caller}@clinic.example` }),
      summarise: (d) => userErrorOr(d.subscribeToNewsletter, () => "ok"),
      expected: everyone("ok"),
    },
    {
      field: "confirmNewsletterSubscription",
      name: "confirmNewsletterSubscription with a made-up token",
      query: `mutation { confirmNewsletterSubscription(token: "nc_madeup") { ok userErrors { code } } }`,
      summarise: (d) => userErrorOr(d.confirmNewsletterSubscription, () => "ok"),
      expected: everyone("INVALID"),
    },
    {
      field: "unsubscribeFromNewsletter",
      name: "unsubscribeFromNewsletter with a made-up token",
      query: `mutation { unsubscribeFromNewsletter(token: "nu_madeup") { ok userErrors { code } } }`,
      summarise: (d) => userErrorOr(d.unsubscribeFromNewsletter, () => "ok"),
      expected: everyone("INVALID"),
    },
    {
      field: "requestSignInLink",
      name: "requestSignInLink (says ok whether or not the address registered)",
      query: `mutation ($email: EmailAddress!) { requestSignInLink(email: $email) { ok userErrors { code } } }`,
      variables: (caller) => ({ email: caller === "admin" ? regs.B.email : `nobody.${caller}@clinic.example` }),
      summarise: (d) => userErrorOr(d.requestSignInLink, () => "ok"),
      expected: everyone("ok"),
    },
    {
      field: "signInWithLink",
      name: "signInWithLink with a made-up token",
      query: `mutation { signInWithLink(token: "sl_madeup") { sessionToken userErrors { code } } }`,
      summarise: (d) => userErrorOr(d.signInWithLink, () => d.signInWithLink.sessionToken ? "signed in" : "none"),
      expected: everyone("INVALID"),
    },
    // ---- registrations: mutations on someone else's and on one's own ------------------
    {
      field: "cancelRegistration",
      name: "cancelRegistration of someone else's registration on E1",
      query: `mutation ($id: ID!) { cancelRegistration(input: { registrationId: $id, reason: "test" }) { registration { status } userErrors { code } } }`,
      variables: async () => ({ id: (await freshTarget()).id }),
      summarise: (d) => userErrorOr(d.cancelRegistration, () => d.cancelRegistration.registration.status),
      expected: everyone("NOT_FOUND", { anonymous: "UNAUTHENTICATED", partnerWithRole: "CANCELLED", admin: "CANCELLED" }),
    },
    {
      field: "cancelRegistration",
      name: "cancelRegistration of a registration that came through P's key",
      query: `mutation ($id: ID!) { cancelRegistration(input: { registrationId: $id }) { registration { status } userErrors { code } } }`,
      variables: async () => ({ id: (await registerAs(e1, `via-p.${Math.random().toString(36).slice(2)}@clinic.example`, headers.publishable)).id }),
      summarise: (d) => userErrorOr(d.cancelRegistration, () => d.cancelRegistration.registration.status),
      expected: everyone("NOT_FOUND", { anonymous: "UNAUTHENTICATED", partnerWithRole: "CANCELLED", partnerWithoutRole: "CANCELLED", admin: "CANCELLED" }),
    },
    {
      field: "requestEarlyAccess",
      name: "requestEarlyAccess for B's registration",
      query: `mutation ($id: ID!) { requestEarlyAccess(input: { registrationId: $id, reason: "leave" }) { registration { accessGrant { earlyAccessRequestedAt } } userErrors { code } } }`,
      variables: () => ({ id: regs.B.id }),
      summarise: (d) => userErrorOr(d.requestEarlyAccess, () => "requested"),
      expected: everyone("NOT_FOUND", {
        anonymous: "UNAUTHENTICATED",
        publishable: "FORBIDDEN",
        partnerWithRole: "FORBIDDEN",
        partnerWithoutRole: "FORBIDDEN",
        sponsor: "FORBIDDEN",
        admin: "requested",
      }),
    },
    {
      field: "requestEarlyAccess",
      name: "requestEarlyAccess for A's own registration",
      query: `mutation ($id: ID!) { requestEarlyAccess(input: { registrationId: $id, reason: "leave" }) { registration { accessGrant { earlyAccessRequestedAt } } userErrors { code } } }`,
      variables: () => ({ id: regs.A.id }),
      summarise: (d) => userErrorOr(d.requestEarlyAccess, () => "requested"),
      expected: everyone("NOT_FOUND", {
        anonymous: "UNAUTHENTICATED",
        publishable: "FORBIDDEN",
        partnerWithRole: "FORBIDDEN",
        partnerWithoutRole: "FORBIDDEN",
        sponsor: "FORBIDDEN",
        registrantA: "requested",
        sessionA: "requested",
        admin: "requested",
      }),
    },
    // ---- attendance and certificates (contract/attendance.graphql) -------------------
    {
      field: "verifyCertificate",
      name: "verifyCertificate (public) of an unknown number",
      query: `{ verifyCertificate(number: "CE-2023-NOTREAL1") { status attendeeName } }`,
      summarise: (d) => d.verifyCertificate?.status ?? "null",
      expected: everyone("null"),
    },
    {
      field: "sessionAttendance",
      name: "sessionAttendance of an E1 session (staff: admin, E1's host/delivery partner)",
      query: `query ($sessionId: ID!) { sessionAttendance(sessionId: $sessionId) { totalCount ${ATTENDEE_LIST} } }`,
      variables: async () => ({ sessionId: await e1SessionId() }),
      summarise: (d) => `count ${d.sessionAttendance.totalCount}`,
      expected: { ...adminOnly, partnerWithRole: "count 0", admin: "count 0" },
    },
    {
      field: "recordAttendance",
      name: "recordAttendance for an E1 session with an unknown code (staff only; per-record userErrors)",
      query: `mutation ($sessionId: ID!) { recordAttendance(records: [{ checkInCode: "ZZZZZZZZZZZZ", sessionId: $sessionId, action: CHECK_IN, nonce: "access-table" }]) { accepted userErrors { code } } }`,
      variables: async () => ({ sessionId: await e1SessionId() }),
      summarise: (d) => d.recordAttendance[0].userErrors[0]?.code ?? "accepted",
      expected: { ...adminOnly, partnerWithRole: "NOT_FOUND", admin: "NOT_FOUND" },
    },
    {
      field: "submitEvaluation",
      name: "submitEvaluation for B's registration",
      query: `mutation ($id: ID!) { submitEvaluation(input: { registrationId: $id, objectiveRatings: [] }) { registration { id } userErrors { code } } }`,
      variables: () => ({ id: regs.B.id }),
      summarise: (d) => userErrorOr(d.submitEvaluation, () => "submitted"),
      expected: everyone("NOT_FOUND", {
        anonymous: "UNAUTHENTICATED",
        publishable: "FORBIDDEN",
        partnerWithRole: "FORBIDDEN",
        partnerWithoutRole: "FORBIDDEN",
        sponsor: "FORBIDDEN",
        admin: "INVALID_STATE",
      }),
    },
    {
      field: "submitEvaluation",
      name: "submitEvaluation for A's own registration (not confirmed yet)",
      query: `mutation ($id: ID!) { submitEvaluation(input: { registrationId: $id, objectiveRatings: [] }) { registration { id } userErrors { code } } }`,
      variables: () => ({ id: regs.A.id }),
      summarise: (d) => userErrorOr(d.submitEvaluation, () => "submitted"),
      expected: everyone("NOT_FOUND", {
        anonymous: "UNAUTHENTICATED",
        publishable: "FORBIDDEN",
        partnerWithRole: "FORBIDDEN",
        partnerWithoutRole: "FORBIDDEN",
        sponsor: "FORBIDDEN",
        registrantA: "INVALID_STATE",
        sessionA: "INVALID_STATE",
        admin: "INVALID_STATE",
      }),
    },
    {
      field: "claimCertificate",
      name: "claimCertificate for B's registration",
      query: `mutation ($id: ID!) { claimCertificate(input: { registrationId: $id, attestation: true }) { certificate { id } userErrors { code } } }`,
      variables: () => ({ id: regs.B.id }),
      summarise: (d) => userErrorOr(d.claimCertificate, () => "issued"),
      expected: everyone("NOT_FOUND", {
        anonymous: "UNAUTHENTICATED",
        publishable: "FORBIDDEN",
        partnerWithRole: "FORBIDDEN",
        partnerWithoutRole: "FORBIDDEN",
        sponsor: "FORBIDDEN",
        admin: "INVALID_STATE",
      }),
    },
    {
      field: "claimCertificate",
      name: "claimCertificate for A's own registration (the event awards no credit)",
      query: `mutation ($id: ID!) { claimCertificate(input: { registrationId: $id, attestation: true }) { certificate { id } userErrors { code } } }`,
      variables: () => ({ id: regs.A.id }),
      summarise: (d) => userErrorOr(d.claimCertificate, () => "issued"),
      expected: everyone("NOT_FOUND", {
        anonymous: "UNAUTHENTICATED",
        publishable: "FORBIDDEN",
        partnerWithRole: "FORBIDDEN",
        partnerWithoutRole: "FORBIDDEN",
        sponsor: "FORBIDDEN",
        registrantA: "INVALID_STATE",
        sessionA: "INVALID_STATE",
        admin: "INVALID_STATE",
      }),
    },
    {
      field: "registration",
      name: "Registration attendance fields of A (checkInCode only for the registrant and admins)",
      query: `query ($id: ID) { registration(id: $id) { checkInCode attendance { status } creditsEarned evaluation { submittedAt } certificate { id } } }`,
      variables: () => ({ id: regs.A.id }),
      summarise: (d) => (d.registration ? `credits ${d.registration.creditsEarned}` : "null"),
      expected: everyone("null", { anonymous: "UNAUTHENTICATED", partnerWithRole: "credits 0", registrantA: "credits 0", sessionA: "credits 0", admin: "credits 0" }),
    },
    ...adminMutation("overrideAttendance", `mutation { overrideAttendance(input: { registrationId: "${UNKNOWN_REGISTRATION}", sessionId: "ses_01ARZ3NDEKTSV4RRFFQ69G5FAV", minutesPresent: 10, reason: "x" }) { userErrors { code } } }`),
    ...adminMutation("revokeCertificate", `mutation { revokeCertificate(id: "cer_01ARZ3NDEKTSV4RRFFQ69G5FAV", reason: "x") { userErrors { code } } }`),
    // ---- admin mutations: arguments an admin gets a userError for, so nothing changes ----
    ...adminMutation("createEvent", `mutation ($input: EventInput!) { createEvent(input: $input) { userErrors { code } } }`, () => ({ input: courseInput({ venueId: "ven_01ARZ3NDEKTSV4RRFFQ69G5FAV" }) })),
    ...adminMutation("updateEvent", `mutation ($input: EventInput!) { updateEvent(id: "${UNKNOWN_EVENT}", input: $input) { userErrors { code } } }`, () => ({ input: courseInput() })),
    ...adminMutation("publishEvent", `mutation { publishEvent(id: "${UNKNOWN_EVENT}") { userErrors { code } } }`),
    ...adminMutation("cancelEvent", `mutation { cancelEvent(id: "${UNKNOWN_EVENT}", reason: "x") { userErrors { code } } }`),
    ...adminMutation("setEventPartners", `mutation { setEventPartners(eventId: "${UNKNOWN_EVENT}", partners: []) { userErrors { code } } }`),
    ...adminMutation("createVenue", `mutation ($input: VenueInput!) { createVenue(input: $input) { userErrors { code } } }`, () => ({ input: { ...uclaFacultyCenter, name: " " } })),
    ...adminMutation("updateVenue", `mutation ($input: VenueInput!) { updateVenue(id: "ven_01ARZ3NDEKTSV4RRFFQ69G5FAV", input: $input) { userErrors { code } } }`, () => ({ input: uclaFacultyCenter })),
    ...adminMutation("createOrganisation", `mutation { createOrganisation(input: { slug: "Not A Slug", name: "x" }) { userErrors { code } } }`),
    ...adminMutation("updateOrganisation", `mutation { updateOrganisation(id: "org_01ARZ3NDEKTSV4RRFFQ69G5FAV", input: { slug: "x", name: "x" }) { userErrors { code } } }`),
    ...adminMutation("reviewRegistration", `mutation { reviewRegistration(input: { registrationId: "${UNKNOWN_REGISTRATION}", decision: APPROVE }) { userErrors { code } } }`),
    {
      field: "recordPayment",
      name: "recordPayment (admins; secret keys of organisations that host or take bookings)",
      query: `mutation { recordPayment(input: { registrationId: "${UNKNOWN_REGISTRATION}", amountMinor: 100, currency: "USD", method: "card" }) { userErrors { code } } }`,
      summarise: (d) => userErrorOr(d.recordPayment, () => "ok"),
      expected: { ...adminOnly, partnerWithRole: "NOT_FOUND", admin: "NOT_FOUND" },
    },
    ...adminMutation("grantEarlyAccess", `mutation { grantEarlyAccess(registrationId: "${UNKNOWN_REGISTRATION}") { userErrors { code } } }`),
    ...adminMutation("markPrerequisiteCompleted", `mutation { markPrerequisiteCompleted(registrationId: "${UNKNOWN_REGISTRATION}") { userErrors { code } } }`),
    ...adminMutation("createApiKey", `mutation { createApiKey(input: { kind: ADMIN, name: " " }) { key userErrors { code } } }`),
    ...adminMutation("revokeApiKey", `mutation { revokeApiKey(id: "key_01ARZ3NDEKTSV4RRFFQ69G5FAV") { userErrors { code } } }`),
    // ---- webhooks: admins and partner secret keys manage endpoints (their own organisation's) ----
    {
      field: "webhookEndpoints",
      name: "webhookEndpoints (admin: all; partner secret key: its own)",
      query: `{ webhookEndpoints { id } }`,
      summarise: (d) => `${d.webhookEndpoints.length} endpoints`,
      expected: { ...webhookManagers("0 endpoints") },
    },
    {
      field: "createWebhookEndpoint",
      name: "createWebhookEndpoint (a loopback URL: refused for those who may create)",
      query: `mutation { createWebhookEndpoint(input: { url: "http://127.0.0.1/hooks", eventTypes: [WEBHOOK_PING] }) { signingSecret userErrors { code } } }`,
      summarise: (d) => userErrorOr(d.createWebhookEndpoint, () => "created"),
      expected: webhookManagers("URL_NOT_ALLOWED"),
    },
    ...webhookMutation("updateWebhookEndpoint", `mutation { updateWebhookEndpoint(id: "${UNKNOWN_ENDPOINT}", input: { enabled: false }) { userErrors { code } } }`),
    ...webhookMutation("deleteWebhookEndpoint", `mutation { deleteWebhookEndpoint(id: "${UNKNOWN_ENDPOINT}") { userErrors { code } } }`),
    ...webhookMutation("rotateWebhookSecret", `mutation { rotateWebhookSecret(id: "${UNKNOWN_ENDPOINT}") { signingSecret userErrors { code } } }`),
    ...webhookMutation("sendTestWebhook", `mutation { sendTestWebhook(id: "${UNKNOWN_ENDPOINT}") { userErrors { code } } }`),
    {
      field: "redeliverWebhook",
      name: "redeliverWebhook (null for an unknown delivery)",
      query: `mutation { redeliverWebhook(deliveryId: "whd_01ARZ3NDEKTSV4RRFFQ69G5FAV") { id } }`,
      summarise: (d) => (d.redeliverWebhook ? "redelivered" : "null"),
      expected: webhookManagers("null"),
    },
    {
      field: "resendEmail",
      name: "resendEmail (admin only; null for an unknown delivery)",
      query: `mutation { resendEmail(deliveryId: "eml_01ARZ3NDEKTSV4RRFFQ69G5FAV") { id } }`,
      summarise: (d) => (d.resendEmail ? "resent" : "null"),
      expected: { ...adminOnly, admin: "null" },
    },
  ];

  /** Admins and every partner secret key may manage webhook endpoints; the others may not. */
  function webhookManagers(value: string): Expected {
    return { ...adminOnly, partnerWithRole: value, partnerWithoutRole: value, sponsor: value, admin: value };
  }

  function webhookMutation(field: string, query: string): Row[] {
    return [{ field, name: `${field} (an unknown endpoint)`, query, summarise: (d) => userErrorOr(d[field], () => "ok"), expected: webhookManagers("NOT_FOUND") }];
  }

  function adminMutation(field: string, query: string, variables?: () => Record<string, unknown>): Row[] {
    return [{ field, name: `${field} (admin only)`, query, variables, summarise: (d) => (d[field].userErrors.length ? "userErrors" : "ok"), expected: { ...adminOnly, admin: "userErrors" } }];
  }

  it("covers every query and mutation of the schema", async () => {
    // given
    const { data } = await server.admin(`{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`);
    const schemaFields = [...data.__schema.queryType.fields, ...data.__schema.mutationType.fields].map((field: { name: string }) => field.name).sort();

    // then
    const covered = new Set(rows().map((row) => row.field));
    expect(schemaFields.filter((field) => !covered.has(field))).toEqual([]);
  });

  it("gives each caller exactly what the access table says, for every row", async () => {
    // when
    const actual: Record<string, Partial<Expected>> = {};
    const expected: Record<string, Expected> = {};
    for (const row of rows()) {
      actual[row.name] = {};
      expected[row.name] = row.expected;
      for (const caller of callerKinds) actual[row.name]![caller] = await cell(row, caller);
    }

    // then
    expect(actual).toEqual(expected);
  });

  it("never shows anyone attendee data they may not see, in any response", () => {
    // given: what each caller may see, by registration
    const visible: Record<Caller, (keyof typeof regs)[]> = {
      anonymous: [],
      publishable: [],
      foreignOrigin: [],
      partnerWithRole: ["A", "B", "P"],
      partnerWithoutRole: ["P"],
      sponsor: [],
      registrantA: ["A"],
      sessionA: ["A", "A2"],
      revokedKey: [],
      malformedKey: [],
      admin: ["A", "B", "P", "A2", "E2"],
    };
    expect(responses.length).toBeGreaterThan(300);

    // then
    const leaks: string[] = [];
    for (const { caller, row, body } of responses) {
      const seen = new Set(visible[caller].flatMap((label) => Object.values(regs[label])));
      for (const [label, reg] of Object.entries(regs) as [keyof typeof regs, Registered][]) {
        if (visible[caller].includes(label)) continue;
        // (A and A2 share an email: it is not A2's secret from someone who may see A.)
        for (const secret of [reg.email, reg.id, reg.reference, reg.lastName, reg.manageToken].filter((value) => !seen.has(value))) {
          if (body.toLowerCase().includes(secret.toLowerCase())) leaks.push(`${caller} saw ${label}'s ${secret} in "${row}"`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it("answers about a hidden object exactly as about one that does not exist", async () => {
    // given: pairs of (hidden from these callers, never existed)
    const probes = [
      [`query ($id: ID) { registration(id: $id) { id } }`, regs.B.id, UNKNOWN_REGISTRATION],
      [`query ($id: String) { registration(reference: $id) { id } }`, regs.B.reference, "MBT-ZZZZZZ"],
      [`query ($id: ID!) { node(id: $id) { id } }`, regs.B.id, UNKNOWN_REGISTRATION],
      [`query ($id: ID!) { node(id: $id) { id } }`, draft.id, UNKNOWN_EVENT],
      [`query ($id: ID) { event(id: $id) { id } }`, draft.id, UNKNOWN_EVENT],
      [`query ($id: String) { event(slug: $id) { id } }`, draft.slug, "no-such-course"],
      [`mutation ($id: ID!) { cancelRegistration(input: { registrationId: $id }) { registration { id } userErrors { field code message } } }`, regs.B.id, UNKNOWN_REGISTRATION],
      [`mutation ($id: ID!) { requestEarlyAccess(input: { registrationId: $id, reason: "x" }) { registration { id } userErrors { field code message } } }`, regs.B.id, UNKNOWN_REGISTRATION],
    ] as const;
    const callers: Caller[] = ["anonymous", "publishable", "partnerWithoutRole", "sponsor", "registrantA", "sessionA"];

    // when
    const differences: string[] = [];
    for (const [query, hidden, missing] of probes) {
      for (const caller of callers) {
        const answer = async (id: string) => {
          const result = await server.gql(query, { id }, { headers: headers[caller] });
          return JSON.stringify({ status: result.status, data: result.data, errors: result.errors?.map(({ message, extensions }) => ({ message, code: extensions?.code })) });
        };
        const [forHidden, forMissing] = [await answer(hidden), await answer(missing)];
        if (forHidden !== forMissing) differences.push(`${caller}: ${query.slice(0, 50)}… ${forHidden} ≠ ${forMissing}`);
      }
    }

    // then
    expect(differences).toEqual([]);
  });

  it("left B's registration untouched by everyone who was refused", async () => {
    // when
    const { data } = await server.admin(`query ($id: ID) { registration(id: $id) { status timeline { action actor } } }`, { id: regs.B.id });

    // then
    expect(data.registration.status).toBe("PENDING_REVIEW");
    expect(data.registration.timeline.map((change: { action: string; actor: string }) => `${change.action} by ${change.actor.split(":")[0]}`)).toEqual([
      expect.stringMatching(/ by public$/),
      "EARLY_ACCESS_REQUESTED by admin",
    ]);
  });
});
