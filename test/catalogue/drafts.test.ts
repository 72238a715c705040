import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/modules/api-keys/api-keys.service.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const EVENTS = /* GraphQL */ `
  query Events($filter: EventFilter) { events(first: 100, filter: $filter) { totalCount edges { node { id slug status } } } }
`;
const EVENT_BY_ID = /* GraphQL */ `query EventById($id: ID!) { event(id: $id) { id status } }`;
const EVENT_BY_SLUG = /* GraphQL */ `query EventBySlug($slug: String!) { event(slug: $slug) { id status } }`;
const NODE = /* GraphQL */ `query Node($id: ID!) { node(id: $id) { __typename id } }`;
const DRAFT_SESSIONS = /* GraphQL */ `query DraftSessions($id: ID!) { event(id: $id) { sessions { id } } }`;
const ORGANISATION_EVENTS = /* GraphQL */ `query OrganisationEvents($slug: String!) { organisation(slug: $slug) { events(first: 100) { totalCount edges { node { id } } } } }`;
const CREATE_ORGANISATION = /* GraphQL */ `mutation CreateOrganisation($input: OrganisationInput!) { createOrganisation(input: $input) { organisation { id } } }`;
const SET_EVENT_PARTNERS = /* GraphQL */ `mutation SetEventPartners($eventId: ID!, $partners: [EventPartnerInput!]!) { setEventPartners(eventId: $eventId, partners: $partners) { userErrors { code } } }`;

describe("drafts are for admins only", () => {
  let server: TestServer;
  let published: TestCourse;
  let draft: TestCourse;
  let draftSessionId: string;
  const tokens: Record<string, string | null> = { anonymous: null };

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    published = await createCourse(server);
    draft = await createCourse(server, {}, { publish: false });
    const host = (await server.admin(CREATE_ORGANISATION, { input: { slug: "anna-freud-centre", name: "Anna Freud Centre" } })).data.createOrganisation.organisation.id;
    for (const eventId of [published.id, draft.id]) {
      await server.admin(SET_EVENT_PARTNERS, { eventId, partners: [{ organisationId: host, roles: ["HOST"] }] });
    }
    draftSessionId = (await server.admin(DRAFT_SESSIONS, { id: draft.id })).data.event.sessions[0].id;
    tokens["a partner of the draft (secret key)"] = (await createApiKey(server.app.deps.db, server.clock, { kind: "SECRET", name: "host", organisationId: host })).key;
    tokens["a registrant"] = (await server.gql(REGISTER, { input: registrationInput(published) })).data.register.manageToken;
  });
  afterAll(() => server.close());

  for (const who of ["anonymous", "a partner of the draft (secret key)", "a registrant"]) {
    describe(`for ${who}`, () => {
      const ask = (query: string, variables: Record<string, unknown>) => server.gql(query, variables, { token: tokens[who] });

      it("events lists the published event but not the draft, even when asked for DRAFT", async () => {
        // when
        const all = await ask(EVENTS, {});
        const drafts = await ask(EVENTS, { filter: { status: ["DRAFT"] } });
        const draftOrPublished = await ask(EVENTS, { filter: { status: ["DRAFT", "PUBLISHED"] } });

        // then
        expect(all.data.events).toEqual({ totalCount: 1, edges: [{ node: { id: published.id, slug: published.slug, status: "PUBLISHED" } }] });
        expect(drafts.data.events).toEqual({ totalCount: 0, edges: [] });
        expect(draftOrPublished.data.events.edges.map((edge: any) => edge.node.id)).toEqual([published.id]);
      });

      it("event(id), event(slug) and node(id) answer null for the draft and its sessions", async () => {
        // when
        const byId = await ask(EVENT_BY_ID, { id: draft.id });
        const bySlug = await ask(EVENT_BY_SLUG, { slug: draft.slug });
        const eventNode = await ask(NODE, { id: draft.id });
        const sessionNode = await ask(NODE, { id: draftSessionId });
        const publishedNode = await ask(NODE, { id: published.id });

        // then
        for (const result of [byId, bySlug, eventNode, sessionNode]) expect(result.errors).toBeUndefined();
        expect(byId.data.event).toBeNull();
        expect(bySlug.data.event).toBeNull();
        expect(eventNode.data.node).toBeNull();
        expect(sessionNode.data.node).toBeNull();
        expect(publishedNode.data.node).toEqual({ __typename: "Event", id: published.id });
      });

      it("an organisation's events leave the draft out", async () => {
        // when
        const result = await ask(ORGANISATION_EVENTS, { slug: "anna-freud-centre" });

        // then
        expect(result.data.organisation.events).toEqual({ totalCount: 1, edges: [{ node: { id: published.id } }] });
      });
    });
  }

  it("admins see the draft everywhere", async () => {
    // when
    const all = await server.admin(EVENTS, {});
    const byId = await server.admin(EVENT_BY_ID, { id: draft.id });
    const bySlug = await server.admin(EVENT_BY_SLUG, { slug: draft.slug });
    const sessionNode = await server.admin(NODE, { id: draftSessionId });
    const organisationEvents = await server.admin(ORGANISATION_EVENTS, { slug: "anna-freud-centre" });

    // then
    expect(all.data.events.totalCount).toBe(2);
    expect(byId.data.event).toEqual({ id: draft.id, status: "DRAFT" });
    expect(bySlug.data.event).toEqual({ id: draft.id, status: "DRAFT" });
    expect(sessionNode.data.node).toEqual({ __typename: "Session", id: draftSessionId });
    expect(organisationEvents.data.organisation.events.totalCount).toBe(2);
  });
});
