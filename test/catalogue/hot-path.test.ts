import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_DETAIL_QUERY, EVENT_LIST_QUERY } from "../../bench/scenarios.js";
import { PartnerRole } from "../../src/common/enums.js";
import { uclaFacultyCenter } from "../../src/demo/mbt-course.js";
import type { EventInput } from "../../src/modules/events/events.inputs.js";
import { createEvent, publishEvent, setEventPartners } from "../../src/modules/events/events.service.js";
import { createOrganisation } from "../../src/modules/organisations/organisations.service.js";
import { createVenue } from "../../src/modules/venues/venues.service.js";
import { courseInput } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/*
 * The benchmark's catalogue reads (S1: one event page, S3: the first 50 events) cost a
 * fixed number of statements, and those statements are compiled once and then reused,
 * whatever the event, the page or the number of events.
 */

const NESTED_EVENTS = /* GraphQL */ `
  query Nested($first: Int) {
    events(first: $first) { edges { node { partners { organisation { events(first: $first) { edges { node { id } } } } } } } }
  }
`;

describe("the catalogue's hot path", () => {
  let server: TestServer;
  let venueId: string;
  let organisationIds: string[];
  const slugs: string[] = [];

  /** Adds published three-day courses through the services, a week apart, with two partners each. */
  async function addEvents(count: number): Promise<void> {
    const deps = server.app.deps;
    for (let i = 0; i < count; i++) {
      const n = slugs.length;
      const day = new Date(Date.UTC(2023, 9, 4) + n * 7 * 86_400_000).toISOString().slice(0, 10);
      const event = await createEvent(deps, courseInput({ slug: `run-${n}`, venueId, sessions: [0, 1, 2].map((d) => ({ title: `Day ${d + 1}`, kind: "LIVE", localStart: `${day}T${String(8 + d).padStart(2, "0")}:30`, localEnd: `${day}T16:30` })) }) as unknown as EventInput);
      await setEventPartners(deps, event.id, [
        { organisationId: organisationIds[n % 3]!, roles: [PartnerRole.HOST] },
        { organisationId: organisationIds[3]!, roles: [PartnerRole.SPONSOR] },
      ]);
      await publishEvent(deps, event.id);
      slugs.push(event.slug);
    }
  }

  async function measure(query: string, variables?: Record<string, unknown>) {
    server.statements.length = 0;
    server.compiled.length = 0;
    const result = await server.gql(query, variables);
    expect(result.errors).toBeUndefined();
    return { result, statements: [...server.statements], compiled: [...server.compiled] };
  }

  beforeAll(async () => {
    // What is measured is execution; the response cache would answer repeats without SQL.
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RESPONSE_CACHE: "off" } });
    const deps = server.app.deps;
    venueId = (await createVenue(deps, uclaFacultyCenter)).id;
    organisationIds = [];
    for (const slug of ["anna-freud-centre", "mila", "lifespan", "tmi"]) organisationIds.push((await createOrganisation(deps, { slug, name: slug })).id);
  });
  afterAll(() => server.close());

  it("lists the first page of 10 and of 100 events (S3) in the same 7 statements, compiling none the second time", async () => {
    // given
    await addEvents(10);
    const ten = await measure(EVENT_LIST_QUERY);

    // when: ten times as many events, so every batch of ids is five times as long
    await addEvents(90);
    const hundred = await measure(EVENT_LIST_QUERY);

    // then
    expect(ten.result.data.events.edges).toHaveLength(10);
    expect(hundred.result.data.events.edges).toHaveLength(50);
    expect(hundred.result.data.events.totalCount).toBe(100);
    expect(hundred.result.data.events.edges[49].node.sessions[2]).toMatchObject({ localStart: expect.stringMatching(/T10:30$/), timeZoneAbbreviation: expect.stringMatching(/^P[DS]T$/) });
    const listing = hundred.statements.join("\n");
    expect(hundred.statements.length, listing).toBe(ten.statements.length);
    // events, totalCount, seats held, sessions, venues, partners, organisations
    expect(hundred.statements.length, listing).toBe(7);
    // A batch of 50 ids binds one JSON list: the statements of the batch of 10 serve it.
    expect(hundred.compiled).toEqual([]);
  });

  it("reads any event's page (S1) with statements compiled once, whichever event it is", async () => {
    // given: one event page read once
    const first = await measure(EVENT_DETAIL_QUERY, { slug: slugs[0] });
    expect(first.result.data.event.sessions).toHaveLength(3);

    // when: the same page again, then other events' pages
    const again = await measure(EVENT_DETAIL_QUERY, { slug: slugs[0] });
    const others = await Promise.all(slugs.slice(1, 6).map(async (slug) => (await measure(EVENT_DETAIL_QUERY, { slug })).result.data.event.slug));
    server.compiled.length = 0;
    const another = await measure(EVENT_DETAIL_QUERY, { slug: slugs[7] });

    // then
    expect(others).toEqual(slugs.slice(1, 6));
    expect(again.statements.length).toBeGreaterThan(5);
    expect(again.statements.length).toBe(first.statements.length);
    expect(again.compiled).toEqual([]);
    expect(another.compiled).toEqual([]);
    expect(another.result.data.event).toMatchObject({ slug: slugs[7], price: { formatted: "$1,250.00" }, venue: { id: venueId } });
  });

  it("reuses statements the other way round too: a listing after a page, with a cursor", async () => {
    // given
    const firstPage = await measure(`query ($after: String) { events(first: 5, after: $after) { edges { cursor node { slug } } } }`);
    const cursor = firstPage.result.data.events.edges[4].cursor;
    await measure(`query ($after: String) { events(first: 5, after: $after) { edges { cursor node { slug } } } }`, { after: cursor });

    // when
    const nextCursor = (await measure(`query ($after: String) { events(first: 5, after: $after) { edges { cursor node { slug } } } }`, { after: cursor })).result.data.events.edges[4].cursor;
    const third = await measure(`query ($after: String) { events(first: 5, after: $after) { edges { cursor node { slug } } } }`, { after: nextCursor });

    // then
    expect(third.result.data.events.edges.map((edge: { node: { slug: string } }) => edge.node.slug)).toEqual(slugs.slice(10, 15));
    expect(third.compiled).toEqual([]);
  });

  it("compiles a filtered listing's statements once, though its SQL is built per request", async () => {
    // given
    const search = `query ($search: String) { events(first: 3, filter: { search: $search }) { totalCount edges { node { slug } } } }`;
    await measure(search, { search: "Basic" });

    // when: the same filter shape with another word
    const again = await measure(search, { search: "Training" });

    // then
    expect(again.result.data.events.totalCount).toBe(100);
    expect(again.statements.length).toBeGreaterThan(0);
    expect(again.compiled).toEqual([]);
  });

  it("remembers a document's cost per page size: the same document is accepted small and refused large, in either order", async () => {
    // when
    const small = await server.gql(NESTED_EVENTS, { first: 5 });
    const large = await server.gql(NESTED_EVENTS, { first: 100 });
    const smallAgain = await server.gql(NESTED_EVENTS, { first: 5 });
    const largeAgain = await server.gql(NESTED_EVENTS, { first: 100 });

    // then
    expect(small.errors).toBeUndefined();
    expect(smallAgain.errors).toBeUndefined();
    for (const refused of [large, largeAgain]) {
      expect(refused.status).toBe(400);
      expect(refused.errors![0]!.message).toMatch(/Query cost limit of 50000 exceeded/);
    }
  });
});
