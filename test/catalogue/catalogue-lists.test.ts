import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fullVenueInput } from "../helpers/catalogue.js";
import { courseInput, CREATE_EVENT, CREATE_VENUE, PUBLISH_EVENT } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { CREATE_ORGANISATION, SET_PARTNERS } from "../security/fixtures.js";

/*
 * venues(first, after) and organisations(first, after): what an admin setting up a course
 * uses to find ids. Sorted by name (case-insensitively, ties by id), keyset cursors,
 * public for what published events use (a draft's venue and partners stay unlisted),
 * everything for admins, page sizes and cost capped like every other list.
 */

const VENUES = /* GraphQL */ `
  query Venues($first: Int, $after: String) {
    venues(first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id name timeZone } } }
  }
`;

const ORGANISATIONS = /* GraphQL */ `
  query Organisations($first: Int, $after: String) {
    organisations(first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id slug name } } }
  }
`;

const VENUES_THEN_NODE = /* GraphQL */ `
  query ($id: ID!) { venues(first: 100) { edges { node { id name } } } node(id: $id) { ... on Venue { name } } }
`;

const ORGANISATIONS_DEEP = /* GraphQL */ `
  query ($first: Int) {
    organisations(first: $first) { edges { node { events(first: 20) { edges { node { partners { organisation { events(first: 20) { edges { node { id } } } } } } } } } } }
  }
`;

const ORGANISATIONS_WITH_EVENTS = /* GraphQL */ `
  query { organisations(first: 100) { edges { node { slug events(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { slug } } } } } } }
`;

const EVENTS_OF = /* GraphQL */ `
  query ($slug: String!) { events(first: 2, filter: { organisationSlug: $slug }) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { slug } } } }
`;

type Page = { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: { name: string } }[] };

describe("the venues and organisations lists", () => {
  let server: TestServer;
  const venueIds: Record<string, string> = {};
  const organisationIds: Record<string, string> = {};

  async function venue(name: string): Promise<string> {
    const { data } = await server.admin(CREATE_VENUE, { input: fullVenueInput({ name }) });
    venueIds[name] = data.createVenue.venue.id;
    return venueIds[name]!;
  }

  async function organisation(slug: string, name: string): Promise<string> {
    const { data } = await server.admin(CREATE_ORGANISATION, { input: { slug, name } });
    organisationIds[slug] = data.createOrganisation.organisation.id;
    return organisationIds[slug]!;
  }

  async function event(options: { venueId?: string; sessionVenueId?: string; partners: string[]; publish: boolean }): Promise<string> {
    const input = courseInput({
      venueId: options.venueId ?? null,
      sessions: [{ title: "Day 1", kind: "LIVE", localStart: "2023-10-04T08:30", localEnd: "2023-10-04T16:30", venueId: options.sessionVenueId ?? null }],
    });
    const { data } = await server.admin(CREATE_EVENT, { input });
    const id = data.createEvent.event.id;
    await server.admin(SET_PARTNERS, { eventId: id, partners: options.partners.map((organisationId) => ({ organisationId, roles: ["HOST"] })) });
    if (options.publish) await server.admin(PUBLISH_EVENT, { id });
    return id;
  }

  async function pageThrough(query: string, field: "venues" | "organisations", first: number, token: string | null = null): Promise<{ names: string[]; pages: number }> {
    const names: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const result = await server.gql(query, { first, after }, { token });
      const page: Page = result.data[field];
      names.push(...page.edges.map((edge) => edge.node.name));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages += 1;
    } while (after && pages < 50);
    return { names, pages };
  }

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    // given: venues and organisations used by a published event (as its venue, or a session's), by a draft only, or by nothing
    await event({ venueId: await venue("westside Rooms"), partners: [await organisation("zeta-clinic", "zeta Clinic")], publish: true });
    await event({ sessionVenueId: await venue("Anna Freud Centre, London"), partners: [await organisation("anna-freud-centre", "Anna Freud Centre")], publish: true });
    await event({ venueId: await venue("Mid City Hall"), partners: [await organisation("mid-city", "Mid City Partners"), organisationIds["zeta-clinic"]!], publish: true });
    await event({ venueId: await venue("Draft Only Hall"), partners: [await organisation("draft-only", "Draft Only Org")], publish: false });
    await venue("Unused Annex");
    await organisation("unused-org", "Unused Org");
  });
  afterAll(() => server?.close());

  it("shows anyone the venues and organisations of published events, by name whatever its case", async () => {
    // when
    const venues = await server.gql(VENUES, { first: 100 });
    const organisations = await server.gql(ORGANISATIONS, { first: 100 });

    // then
    expect(venues.data.venues.edges.map((edge: { node: { name: string } }) => edge.node.name)).toEqual(["Anna Freud Centre, London", "Mid City Hall", "westside Rooms"]);
    expect(venues.data.venues.totalCount).toBe(3);
    expect(organisations.data.organisations.edges.map((edge: { node: { slug: string } }) => edge.node.slug)).toEqual(["anna-freud-centre", "mid-city", "zeta-clinic"]);
    expect(organisations.data.organisations.totalCount).toBe(3);
  });

  it("shows an admin every venue and organisation, drafts' and unused ones too", async () => {
    // when
    const venues = await server.admin(VENUES, { first: 100 });
    const organisations = await server.admin(ORGANISATIONS, { first: 100 });

    // then
    expect(venues.data.venues.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual(
      ["Anna Freud Centre, London", "Draft Only Hall", "Mid City Hall", "Unused Annex", "westside Rooms"].map((name) => venueIds[name]),
    );
    expect(venues.data.venues.totalCount).toBe(5);
    expect(organisations.data.organisations.edges.map((edge: { node: { slug: string } }) => edge.node.slug)).toEqual(["anna-freud-centre", "draft-only", "mid-city", "unused-org", "zeta-clinic"]);
    expect(organisations.data.organisations.totalCount).toBe(5);
  });

  it("lists a venue once a draft that uses it is published", async () => {
    // given
    const draft = await event({ venueId: await venue("Later Hall"), partners: [await organisation("later-org", "Later Org")], publish: false });
    const before = await server.gql(VENUES, { first: 100 });

    // when
    await server.admin(PUBLISH_EVENT, { id: draft });
    const after = await server.gql(VENUES, { first: 100 });
    const organisations = await server.gql(ORGANISATIONS, { first: 100 });

    // then
    expect(before.data.venues.edges.map((edge: { node: { name: string } }) => edge.node.name)).not.toContain("Later Hall");
    expect(after.data.venues.edges.map((edge: { node: { name: string } }) => edge.node.name)).toContain("Later Hall");
    expect(organisations.data.organisations.edges.map((edge: { node: { slug: string } }) => edge.node.slug)).toContain("later-org");
  });

  it("pages through every venue and organisation one at a time with keyset cursors, ties broken by id", async () => {
    // given: two venues with the same name, one differing only in case
    await venue("Twin Hall");
    await venue("twin hall");
    const everything = await server.admin(VENUES, { first: 100 });
    const allOrganisations = await server.admin(ORGANISATIONS, { first: 100 });

    // when
    const venuePages = await pageThrough(VENUES, "venues", 1, server.adminKey);
    const organisationPages = await pageThrough(ORGANISATIONS, "organisations", 2, server.adminKey);

    // then
    expect(venuePages.names).toEqual(everything.data.venues.edges.map((edge: { node: { name: string } }) => edge.node.name));
    expect(venuePages.pages).toBe(everything.data.venues.totalCount);
    expect(organisationPages.names).toEqual(allOrganisations.data.organisations.edges.map((edge: { node: { name: string } }) => edge.node.name));
    expect(new Set(venuePages.names.filter((name) => name.toLowerCase() === "twin hall")).size).toBe(2);
  });

  it("keeps its place when a venue is added before the cursor", async () => {
    // given
    const first = await server.admin(VENUES, { first: 2 });
    const rest = await server.admin(VENUES, { first: 100, after: first.data.venues.pageInfo.endCursor });

    // when
    await venue("AAA First Alphabetically");
    const again = await server.admin(VENUES, { first: 100, after: first.data.venues.pageInfo.endCursor });

    // then
    expect(again.data.venues.edges).toEqual(rest.data.venues.edges);
    expect(again.data.venues.pageInfo.hasPreviousPage).toBe(true);
  });

  it("refuses a page over 100 and a made-up cursor with BAD_USER_INPUT", async () => {
    // when
    const tooBig = await server.gql(VENUES, { first: 101 });
    const madeUp = await server.gql(ORGANISATIONS, { after: Buffer.from(JSON.stringify(["organisations", 5, "x"])).toString("base64url") });

    // then
    expect(tooBig.errors?.map((error) => error.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    expect(madeUp.errors?.map((error) => [error.extensions?.code, error.message])).toEqual([["BAD_USER_INPUT", "`after` is not a cursor returned by this API for the organisations list"]]);
  });

  it("lists venues in a fixed number of statements, and node(id) beside the list costs one batched statement", async () => {
    // given
    server.statements.length = 0;
    await server.admin(VENUES, { first: 100 });
    const listOnly = server.statements.length;
    for (let i = 0; i < 10; i++) await venue(`Bulk Venue ${i}`);

    // when
    server.statements.length = 0;
    const { data } = await server.admin(VENUES_THEN_NODE, { id: venueIds["Bulk Venue 3"] });
    const withNode = server.statements.length;
    server.statements.length = 0;
    await server.admin(VENUES, { first: 100 });

    // then
    expect(data.node).toEqual({ name: "Bulk Venue 3" });
    expect(server.statements.length).toBe(listOnly);
    // The same list without totalCount, and one statement for node(id): both root fields
    // start at once, so node's loader has queued the id before the list's rows arrive to
    // prime it (the loader still serves the list's venues to the fields under it).
    expect(withNode).toBe(listOnly);
  });

  it("lists each organisation's first events in a fixed number of statements, the same page as the events list gives", async () => {
    // given
    const caller = { token: server.adminKey };
    server.statements.length = 0;
    const before = await server.gql(ORGANISATIONS_WITH_EVENTS, {}, caller);
    const statementsBefore = server.statements.length;
    for (let i = 0; i < 8; i++) {
      const id = await organisation(`bulk-org-${i}`, `Bulk Org ${i}`);
      await event({ partners: [id, organisationIds["zeta-clinic"]!], publish: i % 2 === 0 });
    }

    // when
    server.statements.length = 0;
    const after = await server.gql(ORGANISATIONS_WITH_EVENTS, {}, caller);
    const statementsAfter = server.statements.length;
    const listing = [...server.statements];
    const expected: Record<string, unknown> = {};
    for (const edge of after.data.organisations.edges) expected[edge.node.slug] = (await server.gql(EVENTS_OF, { slug: edge.node.slug }, caller)).data.events;

    // then
    expect(after.errors).toBeUndefined();
    expect(after.data.organisations.edges.length).toBe(before.data.organisations.edges.length + 8);
    expect(statementsAfter, listing.join("\n")).toBe(statementsBefore);
    expect(Object.fromEntries(after.data.organisations.edges.map((edge: { node: { slug: string; events: unknown } }) => [edge.node.slug, edge.node.events]))).toEqual(expected);
    expect((expected["zeta-clinic"] as { totalCount: number }).totalCount).toBe(10);
  });

  it("counts each list's page size in the query cost, like every other connection", async () => {
    // when
    const heavy = await server.gql(ORGANISATIONS_DEEP, { first: 100 });
    const light = await server.gql(ORGANISATIONS_DEEP, { first: 2 });

    // then
    expect(heavy.status).toBe(400);
    expect(heavy.errors?.[0]?.message).toMatch(/cost/i);
    expect(light.errors).toBeUndefined();
  });
});
