import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  mbt2023Sessions,
  mbtAudience,
  mbtBookingUrl,
  mbtContact,
  mbtDescription,
  mbtEligibilityCriteria,
  mbtLearningObjectives,
  mbtOrganisations,
  mbtPrerequisite,
  mbtSummary,
  mbtTimeZone,
  uclaFacultyCenter,
} from "../../src/demo/mbt-course.js";
import { EVENT_FIELDS } from "../helpers/catalogue.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/* An admin can set up a course like the demo one with nothing but the GraphQL API. */

const CREATE_VENUE = /* GraphQL */ `
  mutation CreateVenue($input: VenueInput!) { createVenue(input: $input) { venue { id } userErrors { field message code } } }
`;
const CREATE_ORGANISATION = /* GraphQL */ `
  mutation CreateOrganisation($input: OrganisationInput!) { createOrganisation(input: $input) { organisation { id } userErrors { field message code } } }
`;
const CREATE_EVENT = /* GraphQL */ `
  mutation CreateEvent($input: EventInput!) { createEvent(input: $input) { event { id status } userErrors { field message code } } }
`;
const SET_EVENT_PARTNERS = /* GraphQL */ `
  mutation SetEventPartners($eventId: ID!, $partners: [EventPartnerInput!]!) { setEventPartners(eventId: $eventId, partners: $partners) { event { id } userErrors { field message code } } }
`;
const PUBLISH_EVENT = /* GraphQL */ `
  mutation PublishEvent($id: ID!) { publishEvent(id: $id) { event { id status } userErrors { field message code } } }
`;
const EVENT_BY_SLUG = /* GraphQL */ `
  query EventBySlug($slug: String!) { event(slug: $slug) { ...EventFields } }
  ${EVENT_FIELDS}
`;

/** The event as a newcomer reads it, without what differs between two copies: ids, slug, status. */
function comparable(event: Record<string, unknown>): unknown {
  const { id: _id, slug: _slug, status: _status, registrationOpen: _open, ...rest } = event;
  return JSON.parse(JSON.stringify(rest), (_key, value) => (typeof value === "string" && /^[a-z]{3}_[0-9A-Z]{26}$/.test(value) ? "<id>" : value));
}

describe("setting up the MBT course through the API", () => {
  let demo: TestServer;
  let server: TestServer;
  beforeAll(async () => {
    [demo, server] = await Promise.all([startTestServer({ seedDemo: true, now: "2023-06-01T12:00:00Z" }), startTestServer({ now: "2023-06-01T12:00:00Z" })]);
  });
  afterAll(async () => {
    await Promise.all([demo.close(), server.close()]);
  });

  it("gives the same course as the demo data, fact for fact", async () => {
    // given: an empty catalogue
    expect((await server.gql(EVENT_BY_SLUG, { slug: "mbt-basic-training-2023-10" })).data.event).toBeNull();

    // when: the admin enters the venue, the organisations, the event, its partners, and publishes it
    const venue = await server.admin(CREATE_VENUE, { input: uclaFacultyCenter });
    expect(venue.data.createVenue.userErrors).toEqual([]);
    const organisationIds: Record<string, string> = {};
    for (const [key, input] of Object.entries(mbtOrganisations)) {
      const created = await server.admin(CREATE_ORGANISATION, { input });
      expect(created.data.createOrganisation.userErrors).toEqual([]);
      organisationIds[key] = created.data.createOrganisation.organisation.id;
    }
    const event = await server.admin(CREATE_EVENT, {
      input: {
        slug: "mbt-basic-training-2023-10",
        title: "MBT Basic Training",
        summary: mbtSummary,
        description: mbtDescription,
        audience: mbtAudience,
        format: "IN_PERSON",
        timeZone: mbtTimeZone,
        venueId: venue.data.createVenue.venue.id,
        liveHours: 18,
        selfGuidedHours: 21,
        programmeLength: "1 month programme",
        waitlistEnabled: true,
        requiresReview: true,
        bookingUrl: mbtBookingUrl,
        ...mbtContact,
        learningObjectives: mbtLearningObjectives,
        eligibilityCriteria: mbtEligibilityCriteria,
        prerequisite: mbtPrerequisite,
        sessions: mbt2023Sessions,
      },
    });
    expect(event.data.createEvent).toMatchObject({ event: { status: "DRAFT" }, userErrors: [] });
    const eventId = event.data.createEvent.event.id;
    const partners = await server.admin(SET_EVENT_PARTNERS, {
      eventId,
      partners: [
        { organisationId: organisationIds.annaFreud, roles: ["HOST"] },
        { organisationId: organisationIds.mila, roles: ["DELIVERY_PARTNER", "BOOKING_PARTNER"], bookingUrl: mbtBookingUrl },
        { organisationId: organisationIds.lifespan, roles: ["SPONSOR"] },
        { organisationId: organisationIds.tmi, roles: ["SPONSOR"] },
      ],
    });
    expect(partners.data.setEventPartners.userErrors).toEqual([]);
    const published = await server.admin(PUBLISH_EVENT, { id: eventId });
    expect(published.data.publishEvent).toEqual({ event: { id: eventId, status: "PUBLISHED" }, userErrors: [] });

    // then: anyone reads exactly what the demo data holds
    const mine = (await server.gql(EVENT_BY_SLUG, { slug: "mbt-basic-training-2023-10" })).data.event;
    const theirs = (await demo.gql(EVENT_BY_SLUG, { slug: "mbt-basic-training-2023-10" })).data.event;
    expect(theirs).not.toBeNull();
    expect(comparable(mine)).toEqual(comparable(theirs));
    expect(mine).toMatchObject({
      status: "PUBLISHED",
      registrationOpen: true,
      startsAt: "2023-10-04T15:30:00.000Z",
      sessions: [{ localStart: "2023-10-04T08:30", timeZoneAbbreviation: "PDT" }, { localStart: "2023-10-05T08:30" }, { localStart: "2023-10-06T08:30" }],
      partners: [{ organisation: { name: "Anna Freud Centre" } }, { roles: ["DELIVERY_PARTNER", "BOOKING_PARTNER"] }, { roles: ["SPONSOR"] }, { roles: ["SPONSOR"] }],
      prerequisite: { accessOpensAt: "2023-09-04T15:30:00.000Z" },
    });
    expect(mine.learningObjectives).toHaveLength(20);
    expect(mine.eligibilityCriteria.map((criterion: { required: boolean }) => criterion.required)).toEqual([true, true, true, true, false]);
  });
});
