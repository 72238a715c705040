import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, revokeApiKey } from "../../src/modules/api-keys/api-keys.service.js";
import { fullVenueInput } from "../helpers/catalogue.js";
import { snapshotDatabase } from "../helpers/db-snapshot.js";
import { courseInput, createCourse, REGISTER, registrationInput } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const CREATE_VENUE = /* GraphQL */ `mutation ($input: VenueInput!) { createVenue(input: $input) { venue { id } userErrors { code } } }`;
const UPDATE_VENUE = /* GraphQL */ `mutation ($id: ID!, $input: VenueInput!) { updateVenue(id: $id, input: $input) { venue { id } userErrors { code } } }`;
const CREATE_ORGANISATION = /* GraphQL */ `mutation ($input: OrganisationInput!) { createOrganisation(input: $input) { organisation { id } userErrors { code } } }`;
const UPDATE_ORGANISATION = /* GraphQL */ `mutation ($id: ID!, $input: OrganisationInput!) { updateOrganisation(id: $id, input: $input) { organisation { id } userErrors { code } } }`;
const SET_EVENT_PARTNERS = /* GraphQL */ `mutation ($eventId: ID!, $partners: [EventPartnerInput!]!) { setEventPartners(eventId: $eventId, partners: $partners) { event { id } userErrors { code } } }`;
const CREATE_EVENT = /* GraphQL */ `mutation ($input: EventInput!) { createEvent(input: $input) { event { id } userErrors { code } } }`;
const UPDATE_EVENT = /* GraphQL */ `mutation ($id: ID!, $input: EventInput!) { updateEvent(id: $id, input: $input) { event { id } userErrors { code } } }`;
const PUBLISH_EVENT = /* GraphQL */ `mutation ($id: ID!) { publishEvent(id: $id) { event { id } userErrors { code } } }`;
const CANCEL_EVENT = /* GraphQL */ `mutation ($id: ID!, $reason: String) { cancelEvent(id: $id, reason: $reason) { event { id } userErrors { code } } }`;

interface Fixture {
  venueId: string;
  organisationId: string;
  publishedId: string;
  draftId: string;
  publishedSlug: string;
}

/** Each admin mutation with variables that would succeed for an admin. */
function adminMutations(f: Fixture): [string, string, Record<string, unknown>][] {
  return [
    ["createVenue", CREATE_VENUE, { input: fullVenueInput() }],
    ["updateVenue", UPDATE_VENUE, { id: f.venueId, input: fullVenueInput({ name: "Renamed" }) }],
    ["createOrganisation", CREATE_ORGANISATION, { input: { slug: "new-partner", name: "New partner" } }],
    ["updateOrganisation", UPDATE_ORGANISATION, { id: f.organisationId, input: { slug: "renamed-partner", name: "Renamed" } }],
    ["setEventPartners", SET_EVENT_PARTNERS, { eventId: f.publishedId, partners: [{ organisationId: f.organisationId, roles: ["HOST"] }] }],
    ["createEvent", CREATE_EVENT, { input: courseInput({ venueId: f.venueId }) }],
    ["updateEvent", UPDATE_EVENT, { id: f.publishedId, input: courseInput({ slug: f.publishedSlug, venueId: f.venueId, title: "Hijacked" }) }],
    ["publishEvent", PUBLISH_EVENT, { id: f.draftId }],
    ["cancelEvent", CANCEL_EVENT, { id: f.publishedId, reason: "no reason" }],
  ];
}

describe("admin catalogue mutations need an admin key", () => {
  let server: TestServer;
  let fixture: Fixture;
  let manageToken: string;
  let secretKey: string;
  let revokedAdminKey: string;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    const published = await createCourse(server);
    const draft = await createCourse(server, {}, { publish: false });
    const organisation = await server.admin(CREATE_ORGANISATION, { input: { slug: "mila", name: "Mentalizing Initiative Los Angeles" } });
    fixture = { venueId: published.venueId, organisationId: organisation.data.createOrganisation.organisation.id, publishedId: published.id, draftId: draft.id, publishedSlug: published.slug };
    const registered = await server.gql(REGISTER, { input: registrationInput(published) });
    manageToken = registered.data.register.manageToken;
    secretKey = (await createApiKey(server.app.deps.db, server.clock, { kind: "SECRET", name: "MILA server", organisationId: fixture.organisationId })).key;
    const revoked = await createApiKey(server.app.deps.db, server.clock, { kind: "ADMIN", name: "former admin" });
    await revokeApiKey(server.app.deps.db, server.clock, revoked.row.id);
    revokedAdminKey = revoked.key;
  });
  afterAll(() => server.close());

  const callers: [string, () => string | null, string, number][] = [
    ["an anonymous caller", () => null, "UNAUTHENTICATED", 401],
    ["a caller with a made-up admin key", () => "ak_madeUpKeyThatWasNeverIssued000", "UNAUTHENTICATED", 401],
    ["a caller with a revoked admin key", () => revokedAdminKey, "UNAUTHENTICATED", 401],
    ["a registrant with a manage token", () => manageToken, "FORBIDDEN", 403],
    ["a partner with a secret key", () => secretKey, "FORBIDDEN", 403],
  ];

  for (const [who, token, code, status] of callers) {
    it(`refuses ${who} on every admin mutation with ${code}, and nothing changes`, async () => {
      // given
      expect(manageToken).toMatch(/\S/);
      const before = await snapshotDatabase(server);

      for (const [name, mutation, variables] of adminMutations(fixture)) {
        // when
        const result = await server.gql(mutation, variables, { token: token() });

        // then
        expect(result.status, name).toBe(status);
        expect(result.errors?.[0]?.extensions?.code, name).toBe(code);
        expect(result.data?.[name] ?? null, name).toBeNull();
      }
      expect(await snapshotDatabase(server)).toEqual(before);
    });
  }

  it("lets the admin run the same mutations", async () => {
    // given
    const before = await snapshotDatabase(server);

    for (const [name, mutation, variables] of adminMutations(fixture)) {
      // when
      const result = await server.admin(mutation, variables);

      // then
      expect(result.errors, name).toBeUndefined();
      expect(result.data[name].userErrors, name).toEqual([]);
    }
    expect(await snapshotDatabase(server)).not.toEqual(before);
  });
});
