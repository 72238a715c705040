import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mbtEligibilityCriteria, mbtLearningObjectives, mbtPrerequisite } from "../../src/demo/mbt-course.js";
import { createApiKey } from "../../src/modules/api-keys/api-keys.service.js";
import { EVENT_FIELDS, fullVenueInput } from "../helpers/catalogue.js";
import { courseInput, CREATE_EVENT, CREATE_VENUE, PUBLISH_EVENT, REGISTER, registrationInput } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const EVENT_BY_ID_OR_SLUG = /* GraphQL */ `
  query Event($id: ID, $slug: String) { event(id: $id, slug: $slug) { ...EventFields } }
  ${EVENT_FIELDS}
`;

const NODE = /* GraphQL */ `
  query Node($id: ID!) {
    node(id: $id) {
      __typename id
      ... on Event { slug title }
      ... on Session { title localStart event { slug } }
      ... on Venue { name timeZone accessibility { adaCompliant } }
      ... on Organisation { slug name }
    }
  }
`;

const VIEWER = /* GraphQL */ `query Viewer { viewer { role email organisation { slug name } } }`;

const ORGANISATION = /* GraphQL */ `
  query Organisation($slug: String!, $first: Int, $after: String) {
    organisation(slug: $slug) {
      id slug name website email phone
      events(first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { slug } } }
    }
  }
`;

const CREATE_ORGANISATION = /* GraphQL */ `
  mutation CreateOrganisation($input: OrganisationInput!) { createOrganisation(input: $input) { organisation { id slug name website email phone } } }
`;

const SET_EVENT_PARTNERS = /* GraphQL */ `
  mutation SetEventPartners($eventId: ID!, $partners: [EventPartnerInput!]!) { setEventPartners(eventId: $eventId, partners: $partners) { userErrors { code } } }
`;

const CATALOGUE = /* GraphQL */ `
  query Catalogue {
    venues(first: 10) { totalCount edges { node { id name address { line1 line2 city region postalCode country } timeZone latitude longitude mapUrl accessibility { adaCompliant wheelchairAccessible stepFreeEntrance accessibleRestrooms accessibleParking hearingLoop notes infoUrl } } } }
    organisations(first: 10) { totalCount edges { node { id slug name website email phone } } }
  }
`;

const CANCEL_EVENT = /* GraphQL */ `mutation CancelEvent($id: ID!) { cancelEvent(id: $id, reason: "Low numbers") { userErrors { code } } }`;

describe("public reads: event, node, viewer, organisation", () => {
  let server: TestServer;
  let venueId: string;
  let mbt: any;
  const orgs: Record<string, { id: string; slug: string; name: string; website: string | null; email: string | null; phone: string | null }> = {};

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    venueId = (await server.admin(CREATE_VENUE, { input: fullVenueInput() })).data.createVenue.venue.id;
    for (const input of [
      { slug: "anna-freud-centre", name: "Anna Freud Centre", website: "https://www.annafreud.org/", email: "training@annafreud.example", phone: "+44 20 7794 2313" },
      { slug: "mentalizing-initiative-la", name: "Mentalizing Initiative Los Angeles", website: "https://www.mentalizinginitiative.org/" },
      { slug: "lifespan-learning-institute", name: "Lifespan Learning Institute" },
    ]) {
      const organisation = (await server.admin(CREATE_ORGANISATION, { input })).data.createOrganisation.organisation;
      orgs[organisation.slug] = organisation;
    }
    const created = await server.admin(CREATE_EVENT, {
      input: courseInput({
        slug: "mbt-basic-training-2023-10",
        venueId,
        summary: "The MBT Basic Training one-month course.",
        description: "Mentalizing refers to our ability to attend to mental states.",
        audience: "Mental health professionals interested in personality disorder.",
        bookingUrl: "https://www.mentalizinginitiative.org/",
        registrationClosesAt: "2023-09-27T07:00:00.000Z",
      }),
    });
    const id = created.data.createEvent.event.id;
    await server.admin(SET_EVENT_PARTNERS, {
      eventId: id,
      partners: [
        { organisationId: orgs["anna-freud-centre"]!.id, roles: ["HOST"] },
        { organisationId: orgs["mentalizing-initiative-la"]!.id, roles: ["DELIVERY_PARTNER", "BOOKING_PARTNER"], bookingUrl: "https://www.mentalizinginitiative.org/" },
        { organisationId: orgs["lifespan-learning-institute"]!.id, roles: ["SPONSOR"] },
      ],
    });
    await server.admin(PUBLISH_EVENT, { id });
    mbt = (await server.gql(EVENT_BY_ID_OR_SLUG, { id })).data.event;
  });
  afterAll(() => server.close());

  it("shows an anonymous caller every field of a published event and of everything it reaches", () => {
    // then
    expect(mbt).toEqual({
      id: expect.stringMatching(/^evt_/),
      slug: "mbt-basic-training-2023-10",
      title: "MBT Basic Training",
      summary: "The MBT Basic Training one-month course.",
      description: "Mentalizing refers to our ability to attend to mental states.",
      audience: "Mental health professionals interested in personality disorder.",
      format: "IN_PERSON",
      status: "PUBLISHED",
      timeZone: "America/Los_Angeles",
      startsAt: "2023-10-04T15:30:00.000Z",
      endsAt: "2023-10-06T23:30:00.000Z",
      startDate: "2023-10-04",
      endDate: "2023-10-06",
      liveHours: 18,
      selfGuidedHours: 21,
      programmeLength: "1 month programme",
      capacity: 30,
      seatsRemaining: 30,
      waitlistEnabled: true,
      requiresReview: true,
      offerWindowHours: 72,
      registrationOpen: true,
      registrationOpensAt: null,
      registrationClosesAt: "2023-09-27T07:00:00.000Z",
      bookingUrl: "https://www.mentalizinginitiative.org/",
      cancelReason: null,
      price: { amountMinor: 125000, currency: "USD", formatted: "$1,250.00" },
      contact: { name: "Robin Kissell", email: "robin@mentalizing.example", phone: "310-859-7912" },
      venue: { id: venueId, ...fullVenueInput() },
      sessions: ["2023-10-04", "2023-10-05", "2023-10-06"].map((day, index) => ({
        id: expect.stringMatching(/^ses_/),
        title: `Day ${index + 1}`,
        kind: "LIVE",
        startsAt: `${day}T15:30:00.000Z`,
        endsAt: `${day}T23:30:00.000Z`,
        localStart: `${day}T08:30`,
        localEnd: `${day}T16:30`,
        timeZone: "America/Los_Angeles",
        timeZoneAbbreviation: "PDT",
        utcOffset: "-07:00",
        durationMinutes: 480,
        event: { id: mbt.id },
        venue: { id: venueId, name: "UCLA Faculty Center" },
      })),
      partners: [
        { roles: ["HOST"], bookingUrl: null, organisation: orgs["anna-freud-centre"] },
        { roles: ["DELIVERY_PARTNER", "BOOKING_PARTNER"], bookingUrl: "https://www.mentalizinginitiative.org/", organisation: orgs["mentalizing-initiative-la"] },
        { roles: ["SPONSOR"], bookingUrl: null, organisation: orgs["lifespan-learning-institute"] },
      ],
      learningObjectives: mbtLearningObjectives.map((text, index) => ({ position: index + 1, text })),
      eligibilityCriteria: mbtEligibilityCriteria.map((criterion, index) => ({ id: expect.stringMatching(/^crt_/), position: index + 1, text: criterion.text, required: criterion.required })),
      prerequisite: {
        title: mbtPrerequisite.title,
        description: mbtPrerequisite.description,
        durationHours: 4,
        url: mbtPrerequisite.url,
        accessOpensAt: "2023-09-04T15:30:00.000Z",
        completeBy: "2023-10-04T15:30:00.000Z",
        accessLeadDays: null,
      },
    });
  });

  it("lists the venue and the organisations of the published event to an anonymous caller, with every field, by name", async () => {
    // when
    const { data, errors } = await server.gql(CATALOGUE);

    // then
    expect(errors).toBeUndefined();
    expect(data.venues).toEqual({ totalCount: 1, edges: [{ node: { id: venueId, ...fullVenueInput() } }] });
    expect(data.organisations).toEqual({
      totalCount: 3,
      edges: ["anna-freud-centre", "lifespan-learning-institute", "mentalizing-initiative-la"].map((slug) => ({ node: orgs[slug] })),
    });
  });

  it("finds the same event by slug as by id; unknown ones are null", async () => {
    // when
    const bySlug = await server.gql(EVENT_BY_ID_OR_SLUG, { slug: "mbt-basic-training-2023-10" });
    const unknownSlug = await server.gql(EVENT_BY_ID_OR_SLUG, { slug: "no-such-course" });
    const unknownId = await server.gql(EVENT_BY_ID_OR_SLUG, { id: "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV" });
    const venueIdAsEventId = await server.gql(EVENT_BY_ID_OR_SLUG, { id: venueId });

    // then
    expect(bySlug.data.event).toEqual(mbt);
    expect(unknownSlug).toMatchObject({ status: 200, data: { event: null } });
    expect(unknownSlug.errors).toBeUndefined();
    expect(unknownId.data.event).toBeNull();
    expect(venueIdAsEventId.data.event).toBeNull();
  });

  it.each([
    ["both id and slug", { id: "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV", slug: "mbt-basic-training-2023-10" }],
    ["neither id nor slug", {}],
  ])("asks for exactly one of id and slug when given %s", async (_what, variables) => {
    // when
    const result = await server.gql(EVENT_BY_ID_OR_SLUG, variables);

    // then
    expect(result.data.event).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(result.errors?.[0]?.message).toMatch(/exactly one of `id` and `slug`/);
  });

  it("resolves events, sessions, venues and organisations by global id", async () => {
    // given
    const session = mbt.sessions[1];
    const organisation = orgs["anna-freud-centre"]!;

    // when
    const [event, sessionNode, venue, organisationNode] = await Promise.all([mbt.id, session.id, venueId, organisation.id].map((id) => server.gql(NODE, { id })));

    // then
    expect(event!.data.node).toEqual({ __typename: "Event", id: mbt.id, slug: mbt.slug, title: "MBT Basic Training" });
    expect(sessionNode!.data.node).toEqual({ __typename: "Session", id: session.id, title: "Day 2", localStart: "2023-10-05T08:30", event: { slug: mbt.slug } });
    expect(venue!.data.node).toEqual({ __typename: "Venue", id: venueId, name: "UCLA Faculty Center", timeZone: "America/Los_Angeles", accessibility: { adaCompliant: true } });
    expect(organisationNode!.data.node).toEqual({ __typename: "Organisation", id: organisation.id, slug: organisation.slug, name: organisation.name });
  });

  it.each([
    ["a well-formed id of nothing", "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV"],
    ["an unknown prefix", "zzz_01ARZ3NDEKTSV4RRFFQ69G5FAV"],
    ["garbage", "'; DROP TABLE events; --"],
    ["an empty string", ""],
  ])("answers null for %s", async (_what, id) => {
    // when
    const result = await server.gql(NODE, { id });

    // then
    expect(result.errors).toBeUndefined();
    expect(result.data.node).toBeNull();
  });

  it("tells each caller who the server takes them to be", async () => {
    // given
    const secretKey = (await createApiKey(server.app.deps.db, server.clock, { kind: "SECRET", name: "MILA", organisationId: orgs["mentalizing-initiative-la"]!.id })).key;
    const registered = await server.gql(REGISTER, { input: registrationInput({ id: mbt.id, slug: mbt.slug, criteria: mbt.eligibilityCriteria, venueId }, {}, { email: "Ada.Lovelace@Clinic.example" }) });
    const manageToken = registered.data.register.manageToken;

    // when
    const anonymous = await server.gql(VIEWER);
    const admin = await server.admin(VIEWER);
    const partner = await server.gql(VIEWER, {}, { token: secretKey });
    const registrant = await server.gql(VIEWER, {}, { token: manageToken });

    // then
    expect(anonymous.data.viewer).toEqual({ role: "ANONYMOUS", email: null, organisation: null });
    expect(admin.data.viewer).toEqual({ role: "ADMIN", email: null, organisation: null });
    expect(partner.data.viewer).toEqual({ role: "PARTNER", email: null, organisation: { slug: "mentalizing-initiative-la", name: "Mentalizing Initiative Los Angeles" } });
    expect(registrant.data.viewer).toEqual({ role: "REGISTRANT", email: "ada.lovelace@clinic.example", organisation: null });
  });

  it("shows an organisation with the events it takes part in, page by page", async () => {
    // given: a second, later event with the host, and one without it
    const later = await server.admin(CREATE_EVENT, { input: courseInput({ venueId, sessions: [{ title: "Day 1", localStart: "2023-12-06T08:30", localEnd: "2023-12-06T16:30" }] }) });
    const laterId = later.data.createEvent.event.id;
    await server.admin(SET_EVENT_PARTNERS, { eventId: laterId, partners: [{ organisationId: orgs["anna-freud-centre"]!.id, roles: ["HOST"] }] });
    await server.admin(PUBLISH_EVENT, { id: laterId });
    const unrelated = await server.admin(CREATE_EVENT, { input: courseInput({ venueId }) });
    await server.admin(PUBLISH_EVENT, { id: unrelated.data.createEvent.event.id });

    // when
    const firstPage = await server.gql(ORGANISATION, { slug: "anna-freud-centre", first: 1 });
    const secondPage = await server.gql(ORGANISATION, { slug: "anna-freud-centre", first: 1, after: firstPage.data.organisation.events.pageInfo.endCursor });
    const sponsor = await server.gql(ORGANISATION, { slug: "lifespan-learning-institute" });
    const unknown = await server.gql(ORGANISATION, { slug: "no-such-organisation" });

    // then
    const { events: firstEvents, ...organisation } = firstPage.data.organisation;
    expect(organisation).toEqual(orgs["anna-freud-centre"]);
    expect(firstEvents).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true, hasPreviousPage: false }, edges: [{ node: { slug: "mbt-basic-training-2023-10" } }] });
    expect(secondPage.data.organisation.events).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: false, hasPreviousPage: true }, edges: [{ node: { slug: later.data.createEvent.event.slug } }] });
    expect(sponsor.data.organisation.events.edges.map((edge: any) => edge.node.slug)).toEqual(["mbt-basic-training-2023-10"]);
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data.organisation).toBeNull();
  });

  it("shows a cancelled event publicly, with its reason and registration closed", async () => {
    // given
    const created = await server.admin(CREATE_EVENT, { input: courseInput({ venueId }) });
    const id = created.data.createEvent.event.id;
    await server.admin(PUBLISH_EVENT, { id });
    await server.admin(CANCEL_EVENT, { id });

    // when
    const { data } = await server.gql(EVENT_BY_ID_OR_SLUG, { id });

    // then
    expect(data.event).toMatchObject({ status: "CANCELLED", cancelReason: "Low numbers", registrationOpen: false });
  });
});
