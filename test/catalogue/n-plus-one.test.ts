import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventFormat, PartnerRole, SessionKind } from "../../src/common/enums.js";
import { mbtEligibilityCriteria, mbtLearningObjectives, mbtPrerequisite, uclaFacultyCenter } from "../../src/demo/mbt-course.js";
import { createEvent, publishEvent, setEventPartners } from "../../src/modules/events/events.service.js";
import { createOrganisation } from "../../src/modules/organisations/organisations.service.js";
import { createVenue } from "../../src/modules/venues/venues.service.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/* The number of SQL statements for a read depends on its shape, never on how many rows it returns. */

const EVENTS_WITH_EVERYTHING = /* GraphQL */ `
  query EventsWithEverything {
    events(first: 100) {
      totalCount
      edges {
        node {
          id title startDate seatsRemaining registrationOpen
          price { formatted }
          contact { name }
          venue { name accessibility { adaCompliant } }
          sessions { localStart localEnd timeZoneAbbreviation utcOffset venue { name } event { slug } }
          partners { roles organisation { name } }
          learningObjectives { text }
          eligibilityCriteria { text required }
          prerequisite { title accessOpensAt }
        }
      }
    }
  }
`;

const ORGANISATION_EVENTS = /* GraphQL */ `
  query OrganisationEvents {
    organisation(slug: "mila-east") {
      events(first: 100) { edges { node { slug venue { name } sessions { localStart venue { name } } partners { organisation { slug } } prerequisite { accessOpensAt } } } }
    }
  }
`;

describe("DataLoaders keep the statement count fixed", () => {
  let server: TestServer;
  let added = 0;
  let venueIds: string[];
  let organisationIds: string[];

  /** Adds published courses through the services: three sessions (one at a second venue), three partners. */
  async function addEvents(count: number): Promise<void> {
    const deps = server.app.deps;
    for (let i = 0; i < count; i++) {
      added += 1;
      const day = String(1 + (added % 28)).padStart(2, "0");
      const month = String(7 + Math.floor(added / 28)).padStart(2, "0");
      const event = await createEvent(deps, {
        slug: `course-${added}`,
        title: `Course ${added}`,
        format: EventFormat.IN_PERSON,
        timeZone: "America/Los_Angeles",
        venueId: venueIds[added % 2]!,
        capacity: 30,
        priceMinor: 125_000,
        currency: "USD",
        waitlistEnabled: true,
        requiresReview: true,
        contactName: "Robin Kissell",
        learningObjectives: mbtLearningObjectives.slice(0, 3),
        eligibilityCriteria: mbtEligibilityCriteria,
        prerequisite: mbtPrerequisite,
        sessions: [0, 1, 2].map((offset) => ({
          title: `Day ${offset + 1}`,
          kind: SessionKind.LIVE,
          localStart: `2024-${month}-${day}T${String(8 + offset).padStart(2, "0")}:30`,
          localEnd: `2024-${month}-${day}T16:30`,
          venueId: offset === 2 ? venueIds[(added + 1) % 2]! : null,
        })),
      });
      await setEventPartners(deps, event.id, [
        { organisationId: organisationIds[0]!, roles: [PartnerRole.HOST] },
        { organisationId: organisationIds[1 + (added % 2)]!, roles: [PartnerRole.DELIVERY_PARTNER, PartnerRole.BOOKING_PARTNER] },
        { organisationId: organisationIds[3]!, roles: [PartnerRole.SPONSOR] },
      ]);
      await publishEvent(deps, event.id);
    }
  }

  /** Runs a query anonymously and returns its result and the SQL statements it took. */
  async function measure(query: string) {
    server.statements.length = 0;
    const result = await server.gql(query);
    expect(result.errors).toBeUndefined();
    return { result, statements: [...server.statements] };
  }

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    const deps = server.app.deps;
    venueIds = [(await createVenue(deps, uclaFacultyCenter)).id, (await createVenue(deps, { ...uclaFacultyCenter, name: "Anna Freud Centre" })).id];
    organisationIds = [];
    for (const slug of ["anna-freud-centre", "mila", "mila-east", "lifespan"]) organisationIds.push((await createOrganisation(deps, { slug, name: slug })).id);
  });
  afterAll(() => server.close());

  it("lists 10 and then 100 events with sessions, venues, partners, criteria, prerequisite and seats in the same few statements", async () => {
    // given
    await addEvents(10);

    // when
    const ten = await measure(EVENTS_WITH_EVERYTHING);
    await addEvents(90);
    const hundred = await measure(EVENTS_WITH_EVERYTHING);

    // then
    expect(ten.result.data.events.edges).toHaveLength(10);
    expect(hundred.result.data.events.edges).toHaveLength(100);
    const last = hundred.result.data.events.edges[99].node;
    expect(last.sessions).toHaveLength(3);
    expect(last.partners).toHaveLength(3);
    expect(last.eligibilityCriteria).toHaveLength(5);
    expect(last.seatsRemaining).toBe(30);
    expect(last.sessions[2].venue.name).not.toBe(last.venue.name);
    const listing = hundred.statements.join("\n");
    expect(hundred.statements.length, listing).toBe(ten.statements.length);
    // events, totalCount, seats held, venues, sessions, partners, objectives, criteria, prerequisites, organisations
    expect(hundred.statements.length, listing).toBe(10);
  });

  it("lists an organisation's events in the same number of statements whatever their count", async () => {
    // when
    const before = await measure(ORGANISATION_EVENTS);
    await addEvents(5);
    const after = await measure(ORGANISATION_EVENTS);

    // then
    expect(before.result.data.organisation.events.edges.length).toBe(50);
    expect(after.result.data.organisation.events.edges.length).toBeGreaterThan(50);
    expect(after.statements.length).toBe(before.statements.length);
    expect(after.statements.length).toBeLessThanOrEqual(10);
  });
});
