import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fullVenueInput } from "../helpers/catalogue.js";
import { courseInput, CREATE_EVENT, CREATE_VENUE, PUBLISH_EVENT } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const EVENTS = /* GraphQL */ `
  query Events($first: Int, $after: String, $filter: EventFilter) {
    events(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id slug status startsAt } }
    }
  }
`;

const CREATE_ORGANISATION = /* GraphQL */ `mutation CreateOrganisation($input: OrganisationInput!) { createOrganisation(input: $input) { organisation { id } } }`;
const SET_EVENT_PARTNERS = /* GraphQL */ `mutation SetEventPartners($eventId: ID!, $partners: [EventPartnerInput!]!) { setEventPartners(eventId: $eventId, partners: $partners) { userErrors { code } } }`;
const CANCEL_EVENT = /* GraphQL */ `mutation CancelEvent($id: ID!) { cancelEvent(id: $id) { userErrors { code } } }`;

const slugs = (result: any): string[] => result.data.events.edges.map((edge: any) => edge.node.slug);

describe("events: a Relay connection with filters and keyset cursors", () => {
  let server: TestServer;
  let venueId: string;

  async function addEvent(slug: string, day: string, options: { title?: string; summary?: string; audience?: string; status?: "DRAFT" | "PUBLISHED" | "CANCELLED"; partnerId?: string; time?: string } = {}): Promise<string> {
    const created = await server.admin(CREATE_EVENT, {
      input: courseInput({
        slug,
        venueId,
        title: options.title ?? "MBT Basic Training",
        summary: options.summary ?? null,
        audience: options.audience ?? null,
        sessions: [{ title: "Day 1", localStart: `${day}T${options.time ?? "08:30"}`, localEnd: `${day}T16:30` }],
      }),
    });
    const id = created.data.createEvent.event.id;
    if (options.partnerId) await server.admin(SET_EVENT_PARTNERS, { eventId: id, partners: [{ organisationId: options.partnerId, roles: ["HOST"] }] });
    if (options.status !== "DRAFT") await server.admin(PUBLISH_EVENT, { id });
    if (options.status === "CANCELLED") await server.admin(CANCEL_EVENT, { id });
    return id;
  }

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    venueId = (await server.admin(CREATE_VENUE, { input: fullVenueInput() })).data.createVenue.venue.id;
    const mila = (await server.admin(CREATE_ORGANISATION, { input: { slug: "mentalizing-initiative-la", name: "MILA" } })).data.createOrganisation.organisation.id;
    const annaFreud = (await server.admin(CREATE_ORGANISATION, { input: { slug: "anna-freud-centre", name: "Anna Freud Centre" } })).data.createOrganisation.organisation.id;
    // Created out of order, so the order of the answers comes from the start times.
    await addEvent("families-nov", "2023-11-15", { title: "Mentalizing for Families", summary: "Working with FAMILIES and carers.", partnerId: annaFreud });
    await addEvent("mbt-oct", "2023-10-04", { partnerId: mila });
    await addEvent("adolescents-sep", "2023-09-12", { title: "MBT-A", audience: "Clinicians working with adolescents.", partnerId: mila });
    await addEvent("secret-draft", "2023-08-01", { status: "DRAFT", partnerId: mila });
    await addEvent("cancelled-dec", "2023-12-05", { status: "CANCELLED", partnerId: annaFreud });
    await addEvent("percent-100-jan", "2024-01-10", { title: "100% online refresher" });
    await addEvent("tie-jan-a", "2024-01-17");
    await addEvent("tie-jan-b", "2024-01-17");
    await addEvent("tie-jan-c", "2024-01-17");
  });
  afterAll(() => server.close());

  it("lists what anonymous callers may see in start order, drafts left out", async () => {
    // when
    const result = await server.gql(EVENTS, { first: 100 });

    // then
    expect(result.errors).toBeUndefined();
    expect(slugs(result).slice(0, 6)).toEqual(["adolescents-sep", "mbt-oct", "families-nov", "cancelled-dec", "percent-100-jan", slugs(result)[5]]);
    expect(slugs(result).slice(5).sort()).toEqual(["tie-jan-a", "tie-jan-b", "tie-jan-c"]);
    expect(result.data.events.totalCount).toBe(8);
    expect(result.data.events.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it("shows admins the drafts too", async () => {
    // when
    const result = await server.admin(EVENTS, { first: 100 });

    // then
    expect(slugs(result)[0]).toBe("secret-draft");
    expect(result.data.events.totalCount).toBe(9);
  });

  it.each([
    ["status PUBLISHED", { status: ["PUBLISHED"] }, ["adolescents-sep", "mbt-oct", "families-nov", "percent-100-jan", "tie-jan-*", "tie-jan-*", "tie-jan-*"]],
    ["status CANCELLED", { status: ["CANCELLED"] }, ["cancelled-dec"]],
    ["status DRAFT (hidden from the public)", { status: ["DRAFT"] }, []],
    ["startsAfter", { startsAfter: "2023-11-01T00:00:00Z" }, ["families-nov", "cancelled-dec", "percent-100-jan", "tie-jan-*", "tie-jan-*", "tie-jan-*"]],
    ["startsBefore", { startsBefore: "2023-11-01T00:00:00Z" }, ["adolescents-sep", "mbt-oct"]],
    ["a window", { startsAfter: "2023-10-01T00:00:00Z", startsBefore: "2023-12-31T00:00:00Z", status: ["PUBLISHED"] }, ["mbt-oct", "families-nov"]],
    ["organisationSlug", { organisationSlug: "mentalizing-initiative-la" }, ["adolescents-sep", "mbt-oct"]],
    ["an unknown organisationSlug", { organisationSlug: "nobody" }, []],
    ["search in the title", { search: "families" }, ["families-nov"]],
    ["search in the summary, any case", { search: "CARERS" }, ["families-nov"]],
    ["search in the audience", { search: "adolescents" }, ["adolescents-sep"]],
    ["search with a literal %", { search: "100%" }, ["percent-100-jan"]],
    ["search where % is not a wildcard", { search: "%" }, ["percent-100-jan"]],
    ["search where _ is not a wildcard", { search: "M_T" }, []],
    ["search and organisation together", { search: "MBT", organisationSlug: "anna-freud-centre" }, ["cancelled-dec"]],
    ["search and organisation with nothing in common", { search: "families", organisationSlug: "mentalizing-initiative-la" }, []],
  ])("filters by %s", async (_what, filter, expected) => {
    // when
    const result = await server.gql(EVENTS, { first: 100, filter });

    // then
    expect(result.errors).toBeUndefined();
    expect(slugs(result).map((slug) => (slug.startsWith("tie-jan-") ? "tie-jan-*" : slug))).toEqual(expected);
    expect(result.data.events.totalCount).toBe(expected.length);
  });

  it("pages through every event with keyset cursors, ties broken the same way every time", async () => {
    // given
    const everything = slugs(await server.gql(EVENTS, { first: 100 }));
    const seen: string[] = [];
    const pages: any[] = [];
    let after: string | null = null;

    // when
    do {
      const result: any = await server.gql(EVENTS, { first: 3, after });
      pages.push(result.data.events);
      seen.push(...slugs(result));
      after = result.data.events.pageInfo.hasNextPage ? result.data.events.pageInfo.endCursor : null;
    } while (after);

    // then
    expect(seen).toEqual(everything);
    expect(pages.map((page) => page.edges.length)).toEqual([3, 3, 2]);
    expect(pages.map((page) => [page.pageInfo.hasPreviousPage, page.pageInfo.hasNextPage])).toEqual([[false, true], [true, true], [true, false]]);
    for (const page of pages) {
      expect(page.totalCount).toBe(8);
      expect(page.pageInfo.startCursor).toBe(page.edges[0].cursor);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1).cursor);
    }
    expect(slugs(await server.gql(EVENTS, { first: 100 }))).toEqual(everything);
  });

  it("keeps its place when events are added before the cursor", async () => {
    // given
    const firstPage = await server.gql(EVENTS, { first: 2 });
    const rest = slugs(await server.gql(EVENTS, { first: 100, after: firstPage.data.events.pageInfo.endCursor }));
    await addEvent("early-insert", "2023-07-01");

    // when
    const secondPage = await server.gql(EVENTS, { first: 100, after: firstPage.data.events.pageInfo.endCursor });

    // then
    expect(slugs(firstPage)).toEqual(["adolescents-sep", "mbt-oct"]);
    expect(slugs(secondPage)).toEqual(rest);
    expect(slugs(secondPage)).not.toContain("early-insert");
  });

  it("answers an empty page after the last event", async () => {
    // given
    const all = await server.gql(EVENTS, { first: 100 });

    // when
    const result = await server.gql(EVENTS, { first: 5, after: all.data.events.pageInfo.endCursor });

    // then
    expect(result.data.events).toMatchObject({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null } });
  });

  it("answers first: 0 with no edges but says whether there are any", async () => {
    // when
    const result = await server.gql(EVENTS, { first: 0 });

    // then
    expect(result.data.events).toMatchObject({ edges: [], pageInfo: { hasNextPage: true } });
    expect(result.data.events.totalCount).toBeGreaterThan(0);
  });

  it.each([
    ["a page over 100", { first: 101 }, /`first` must be between 0 and 100/],
    ["a negative page size", { first: -1 }, /`first` must be between 0 and 100/],
    ["a cursor this API never gave", { after: "not-a-cursor" }, /`after` is not a cursor/],
    ["a cursor of the right shape with the wrong content", { after: Buffer.from(JSON.stringify({ id: 1 })).toString("base64url") }, /`after` is not a cursor/],
    ["a search over 300 characters", { filter: { search: "x".repeat(301) } }, /filter\.search must be at most 300 characters/],
  ])("refuses %s with BAD_USER_INPUT", async (_what, variables, message) => {
    // when
    const result = await server.gql(EVENTS, variables);

    // then
    expect(result.data?.events ?? null).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(result.errors?.[0]?.message).toMatch(message);
  });

  it("refuses a startsAfter that is not an instant", async () => {
    // when
    const result = await server.gql(EVENTS, { filter: { startsAfter: "2023-13-45" } });

    // then
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(result.errors?.[0]?.message).toMatch(/filter\.startsAfter/);
  });
});
