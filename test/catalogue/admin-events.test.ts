import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mbtEligibilityCriteria, mbtLearningObjectives, mbtPrerequisite } from "../../src/demo/mbt-course.js";
import { EVENT_BY_ID, EVENT_FIELDS, expectBadUserInput, expectOneUserError, fullVenueInput } from "../helpers/catalogue.js";
import { snapshotDatabase } from "../helpers/db-snapshot.js";
import { CREATE_VENUE, courseInput, REGISTER, registrationInput } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const CREATE_EVENT = /* GraphQL */ `
  mutation CreateEvent($input: EventInput!) {
    createEvent(input: $input) { event { ...EventFields } userErrors { field message code } }
  }
  ${EVENT_FIELDS}
`;

const UPDATE_EVENT = /* GraphQL */ `
  mutation UpdateEvent($id: ID!, $input: EventInput!) {
    updateEvent(id: $id, input: $input) { event { ...EventFields } userErrors { field message code } }
  }
  ${EVENT_FIELDS}
`;

const PUBLISH_EVENT = /* GraphQL */ `
  mutation PublishEvent($id: ID!) { publishEvent(id: $id) { event { id status } userErrors { field message code } } }
`;

const CANCEL_EVENT = /* GraphQL */ `
  mutation CancelEvent($id: ID!, $reason: String) {
    cancelEvent(id: $id, reason: $reason) { event { id status cancelReason registrationOpen } userErrors { field message code } }
  }
`;

const SET_EVENT_PARTNERS = /* GraphQL */ `
  mutation SetEventPartners($eventId: ID!, $partners: [EventPartnerInput!]!) {
    setEventPartners(eventId: $eventId, partners: $partners) {
      event { id partners { roles bookingUrl organisation { id slug } } }
      userErrors { field message code }
    }
  }
`;

const CREATE_ORGANISATION = /* GraphQL */ `
  mutation CreateOrganisation($input: OrganisationInput!) { createOrganisation(input: $input) { organisation { id slug } userErrors { code } } }
`;

const PUBLIC_EVENT = /* GraphQL */ `
  query PublicEvent($id: ID!) { event(id: $id) { id status cancelReason registrationOpen } }
`;

const unknownVenueId = "ven_01ARZ3NDEKTSV4RRFFQ69G5FAV";
const unknownEventId = "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV";
const unknownOrganisationId = "org_01ARZ3NDEKTSV4RRFFQ69G5FAV";

const oneSession = (localStart: string, localEnd: string, extra: Record<string, unknown> = {}) => [{ title: "Day 1", kind: "LIVE", localStart, localEnd, ...extra }];

/** Inputs the service refuses: [what, overrides of a valid EventInput, field, code]. */
const refusedByService: [string, Record<string, unknown>, string[], string][] = [
  ["a slug another event has", { slug: "taken-slug" }, ["input", "slug"], "INVALID"],
  ["a slug with capitals and spaces", { slug: "MBT Basic" }, ["input", "slug"], "INVALID"],
  ["a blank slug", { slug: " " }, ["input", "slug"], "REQUIRED"],
  ["a blank title", { title: "" }, ["input", "title"], "REQUIRED"],
  ["a title over 200 characters", { title: "t".repeat(201) }, ["input", "title"], "TOO_LONG"],
  ["a summary over 1000 characters", { summary: "s".repeat(1001) }, ["input", "summary"], "TOO_LONG"],
  ["an unknown venue", { venueId: unknownVenueId }, ["input", "venueId"], "NOT_FOUND"],
  ["a session at an unknown venue", { sessions: oneSession("2023-10-04T08:30", "2023-10-04T16:30", { venueId: unknownVenueId }) }, ["input", "sessions", "0", "venueId"], "NOT_FOUND"],
  ["a session ending before it starts", { sessions: oneSession("2023-10-04T16:30", "2023-10-04T08:30") }, ["input", "sessions", "0", "localEnd"], "INVALID"],
  ["a session ending as it starts", { sessions: oneSession("2023-10-04T08:30", "2023-10-04T08:30") }, ["input", "sessions", "0", "localEnd"], "INVALID"],
  ["a start that does not exist in Los Angeles (DST gap)", { sessions: oneSession("2024-03-10T02:30", "2024-03-10T04:30") }, ["input", "sessions", "0", "localStart"], "INVALID"],
  ["an end that does not exist in London (DST gap)", { timeZone: "Europe/London", sessions: oneSession("2024-03-31T00:30", "2024-03-31T01:15") }, ["input", "sessions", "0", "localEnd"], "INVALID"],
  ["a blank session title", { sessions: oneSession("2023-10-04T08:30", "2023-10-04T16:30", { title: " " }) }, ["input", "sessions", "0", "title"], "REQUIRED"],
  ["no sessions", { sessions: [] }, ["input", "sessions"], "REQUIRED"],
  ["a negative capacity", { capacity: -5 }, ["input", "capacity"], "INVALID"],
  ["a capacity of zero", { capacity: 0 }, ["input", "capacity"], "INVALID"],
  ["an unknown currency", { currency: "XYZ" }, ["input", "currency"], "INVALID"],
  ["a price without a currency", { currency: null }, ["input", "currency"], "REQUIRED"],
  ["a negative price", { priceMinor: -100 }, ["input", "priceMinor"], "INVALID"],
  ["registration closing before it opens", { registrationOpensAt: "2023-08-01T00:00:00Z", registrationClosesAt: "2023-07-01T00:00:00Z" }, ["input", "registrationClosesAt"], "INVALID"],
  ["negative live hours", { liveHours: -1 }, ["input", "liveHours"], "INVALID"],
  ["a contact phone that is not one", { contactPhone: "ring the office" }, ["input", "contactPhone"], "INVALID"],
  ["a blank learning objective", { learningObjectives: ["Understand mentalizing", "  "] }, ["input", "learningObjectives", "1"], "REQUIRED"],
  ["a blank eligibility criterion", { eligibilityCriteria: [{ text: "", required: true }] }, ["input", "eligibilityCriteria", "0", "text"], "REQUIRED"],
  ["a prerequisite without a title", { prerequisite: { ...mbtPrerequisite, title: " " } }, ["input", "prerequisite", "title"], "REQUIRED"],
  ["a negative prerequisite lead time", { prerequisite: { ...mbtPrerequisite, accessLeadDays: -1 } }, ["input", "prerequisite", "accessLeadDays"], "INVALID"],
  ["an offer window of zero hours", { offerWindowHours: 0 }, ["input", "offerWindowHours"], "INVALID"],
];

/** Inputs GraphQL refuses before the service runs: [what, overrides, the message names]. */
const refusedByScalars: [string, Record<string, unknown>, RegExp][] = [
  ["an unknown time zone", { timeZone: "Mars/Olympus" }, /input\.timeZone.*Mars\/Olympus/],
  ["hour 25", { sessions: oneSession("2023-10-04T25:00", "2023-10-04T26:00") }, /input\.sessions\[0\]\.localStart.*hour must be 00–23/],
  ["30 February", { sessions: oneSession("2023-02-30T08:30", "2023-02-30T16:30") }, /input\.sessions\[0\]\.localStart.*2023-02 has days 01–28/],
  ["a local time with an offset", { sessions: oneSession("2023-10-04T08:30-07:00", "2023-10-04T16:30") }, /input\.sessions\[0\]\.localStart/],
  ["a local time with a space", { sessions: oneSession("2023-10-04 08:30", "2023-10-04T16:30") }, /input\.sessions\[0\]\.localStart/],
  ["an unknown session kind", { sessions: oneSession("2023-10-04T08:30", "2023-10-04T16:30", { kind: "LECTURE" }) }, /input\.sessions\[0\]\.kind/],
  ["an unknown format", { format: "WEBINAR" }, /input\.format/],
  ["a fractional capacity", { capacity: 1.5 }, /input\.capacity/],
  ["a registration opening that is not an instant", { registrationOpensAt: "next Tuesday" }, /input\.registrationOpensAt/],
  ["a booking URL that is not http(s)", { bookingUrl: "javascript:alert(1)" }, /input\.bookingUrl/],
  ["a contact email that is not one", { contactEmail: "robin at mila" }, /input\.contactEmail/],
  ["a prerequisite URL that is not a URL", { prerequisite: { ...mbtPrerequisite, url: "annafreud.org" } }, /input\.prerequisite\.url/],
  ["a missing time zone", { timeZone: null }, /input\.timeZone/],
];

describe("createEvent, updateEvent, publishEvent, cancelEvent and setEventPartners (admin)", () => {
  let server: TestServer;
  let venueId: string;
  let otherVenueId: string;
  let organisations: { id: string; slug: string }[];

  /** A valid input, with a unique slug unless the overrides give one. */
  const input = (overrides: Record<string, unknown> = {}) => courseInput({ venueId, ...overrides });

  async function createDraft(overrides: Record<string, unknown> = {}): Promise<string> {
    const { data, errors } = await server.admin(CREATE_EVENT, { input: input(overrides) });
    if (!data?.createEvent?.event) throw new Error(JSON.stringify(errors ?? data.createEvent.userErrors));
    return data.createEvent.event.id;
  }

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    venueId = (await server.admin(CREATE_VENUE, { input: fullVenueInput() })).data.createVenue.venue.id;
    otherVenueId = (await server.admin(CREATE_VENUE, { input: fullVenueInput({ name: "Anna Freud Centre", timeZone: "Europe/London" }) })).data.createVenue.venue.id;
    organisations = [];
    for (const slug of ["anna-freud-centre", "mentalizing-initiative-la", "lifespan-learning-institute"]) {
      organisations.push((await server.admin(CREATE_ORGANISATION, { input: { slug, name: slug } })).data.createOrganisation.organisation);
    }
    await createDraft({ slug: "taken-slug" });
  });
  afterAll(() => server.close());

  describe("createEvent", () => {
    it("creates a draft with every field, sessions converted from wall-clock time in the event's zone", async () => {
      // given
      const full = input({
        summary: "One month of MBT.",
        description: "Mentalizing refers to our ability to attend to mental states.",
        audience: "Mental health professionals.",
        waitlistEnabled: false,
        requiresReview: false,
        registrationOpensAt: "2023-06-15T16:00:00.000Z",
        registrationClosesAt: "2023-09-20T07:00:00.000Z",
        bookingUrl: "https://www.mentalizinginitiative.org/",
        offerWindowHours: 48,
        prerequisite: { ...mbtPrerequisite, accessLeadDays: 30 },
        sessions: [
          { title: "Day 2", kind: "LIVE", localStart: "2023-10-05T08:30", localEnd: "2023-10-05T16:30", venueId: otherVenueId },
          { title: "Day 1", kind: "LIVE", localStart: "2023-10-04T08:30", localEnd: "2023-10-04T16:30" },
          { title: "Self-guided", kind: "SELF_GUIDED", localStart: "2023-10-06T09:00", localEnd: "2023-10-06T12:15" },
        ],
      });

      // when
      const { data, errors } = await server.admin(CREATE_EVENT, { input: full });

      // then
      expect(errors).toBeUndefined();
      expect(data.createEvent.userErrors).toEqual([]);
      const event = data.createEvent.event;
      expect(event).toMatchObject({
        id: expect.stringMatching(/^evt_/),
        slug: full.slug,
        title: "MBT Basic Training",
        summary: "One month of MBT.",
        description: "Mentalizing refers to our ability to attend to mental states.",
        audience: "Mental health professionals.",
        format: "IN_PERSON",
        status: "DRAFT",
        timeZone: "America/Los_Angeles",
        startsAt: "2023-10-04T15:30:00.000Z",
        endsAt: "2023-10-06T19:15:00.000Z",
        startDate: "2023-10-04",
        endDate: "2023-10-06",
        liveHours: 18,
        selfGuidedHours: 21,
        programmeLength: "1 month programme",
        capacity: 30,
        seatsRemaining: 30,
        waitlistEnabled: false,
        requiresReview: false,
        offerWindowHours: 48,
        registrationOpen: false,
        registrationOpensAt: "2023-06-15T16:00:00.000Z",
        registrationClosesAt: "2023-09-20T07:00:00.000Z",
        bookingUrl: "https://www.mentalizinginitiative.org/",
        cancelReason: null,
        price: { amountMinor: 125000, currency: "USD", formatted: "$1,250.00" },
        contact: { name: "Robin Kissell", email: "robin@mentalizing.example", phone: "310-859-7912" },
        venue: { id: venueId, name: "UCLA Faculty Center" },
        partners: [],
        prerequisite: { title: mbtPrerequisite.title, description: mbtPrerequisite.description, durationHours: 4, url: mbtPrerequisite.url, accessLeadDays: 30, accessOpensAt: "2023-09-04T15:30:00.000Z", completeBy: "2023-10-04T15:30:00.000Z" },
      });
      expect(event.sessions.map((s: any) => [s.title, s.kind, s.startsAt, s.localStart, s.localEnd, s.durationMinutes, s.venue.id])).toEqual([
        ["Day 1", "LIVE", "2023-10-04T15:30:00.000Z", "2023-10-04T08:30", "2023-10-04T16:30", 480, venueId],
        ["Day 2", "LIVE", "2023-10-05T15:30:00.000Z", "2023-10-05T08:30", "2023-10-05T16:30", 480, otherVenueId],
        ["Self-guided", "SELF_GUIDED", "2023-10-06T16:00:00.000Z", "2023-10-06T09:00", "2023-10-06T12:15", 195, venueId],
      ]);
      expect(event.sessions.every((s: any) => s.event.id === event.id && s.timeZone === "America/Los_Angeles" && s.timeZoneAbbreviation === "PDT" && s.utcOffset === "-07:00")).toBe(true);
      expect(event.learningObjectives).toEqual(mbtLearningObjectives.map((text, index) => ({ position: index + 1, text })));
      expect(event.eligibilityCriteria.map((c: any) => [c.position, c.text, c.required])).toEqual(mbtEligibilityCriteria.map((c, index) => [index + 1, c.text, c.required]));
      expect((await server.admin(EVENT_BY_ID, { id: event.id })).data.event).toEqual(event);
    });

    it("treats a price of zero as free and leaves optional facts empty", async () => {
      // when
      const { data } = await server.admin(CREATE_EVENT, {
        input: { slug: "free-taster", title: "Free taster", format: "ONLINE", timeZone: "Europe/London", sessions: oneSession("2023-11-01T18:00", "2023-11-01T19:30"), priceMinor: 0, currency: "GBP" },
      });

      // then
      expect(data.createEvent.event).toMatchObject({
        price: null,
        capacity: null,
        seatsRemaining: null,
        venue: null,
        contact: null,
        prerequisite: null,
        learningObjectives: [],
        eligibilityCriteria: [],
        waitlistEnabled: true,
        requiresReview: true,
        offerWindowHours: 72,
        sessions: [{ kind: "LIVE", localStart: "2023-11-01T18:00", timeZoneAbbreviation: "GMT", utcOffset: "+00:00", venue: null }],
      });
    });

    it.each(refusedByService)("refuses %s with a userError and stores nothing", async (_what, overrides, field, code) => {
      // given
      const before = await snapshotDatabase(server);

      // when
      const result = await server.admin(CREATE_EVENT, { input: input(overrides) });

      // then
      expectOneUserError(result, "createEvent", field, code, "event");
      expect(await snapshotDatabase(server)).toEqual(before);
    });

    it.each(refusedByScalars)("refuses %s with BAD_USER_INPUT and stores nothing", async (_what, overrides, mentions) => {
      // given
      const before = await snapshotDatabase(server);

      // when
      const result = await server.admin(CREATE_EVENT, { input: input(overrides) });

      // then
      expectBadUserInput(result, mentions);
      expect(await snapshotDatabase(server)).toEqual(before);
    });

    it("reports every problem of one input at once", async () => {
      // when
      const result = await server.admin(CREATE_EVENT, {
        input: input({ slug: "taken-slug", venueId: unknownVenueId, capacity: -1, currency: "XYZ", sessions: oneSession("2023-10-04T10:00", "2023-10-04T09:00") }),
      });

      // then
      const fields = result.data.createEvent.userErrors.map((error: { field: string[] }) => error.field.join("."));
      expect(fields.sort()).toEqual(["input.capacity", "input.currency", "input.sessions.0.localEnd", "input.slug", "input.venueId"]);
    });
  });

  describe("updateEvent", () => {
    it("replaces the details and keeps the ids of sessions and criteria matched by position", async () => {
      // given
      const id = await createDraft();
      const before = (await server.admin(EVENT_BY_ID, { id })).data.event;

      // when
      const { data } = await server.admin(UPDATE_EVENT, {
        id,
        input: input({
          slug: `${before.slug}-moved`,
          title: "MBT Basic Training (moved)",
          capacity: 12,
          venueId: otherVenueId,
          timeZone: "Europe/London",
          eligibilityCriteria: mbtEligibilityCriteria.slice(0, 2),
          learningObjectives: ["Describe mentalization"],
          prerequisite: null,
          sessions: [
            { title: "Day 1", localStart: "2023-11-08T09:30", localEnd: "2023-11-08T17:00" },
            { title: "Day 2", localStart: "2023-11-09T09:30", localEnd: "2023-11-09T17:00" },
          ],
        }),
      });

      // then
      expect(data.updateEvent.userErrors).toEqual([]);
      const after = (await server.admin(EVENT_BY_ID, { id })).data.event;
      expect(after).toMatchObject({
        slug: `${before.slug}-moved`,
        title: "MBT Basic Training (moved)",
        capacity: 12,
        timeZone: "Europe/London",
        startsAt: "2023-11-08T09:30:00.000Z",
        endsAt: "2023-11-09T17:00:00.000Z",
        venue: { id: otherVenueId },
        learningObjectives: [{ position: 1, text: "Describe mentalization" }],
        prerequisite: null,
        status: "DRAFT",
      });
      expect(after.sessions.map((s: any) => [s.id, s.localStart, s.timeZoneAbbreviation])).toEqual([
        [before.sessions[0].id, "2023-11-08T09:30", "GMT"],
        [before.sessions[1].id, "2023-11-09T09:30", "GMT"],
      ]);
      expect(after.eligibilityCriteria.map((c: any) => c.id)).toEqual(before.eligibilityCriteria.slice(0, 2).map((c: any) => c.id));
    });

    it.each(refusedByService)("refuses %s with a userError and changes nothing", async (_what, overrides, field, code) => {
      // given
      const id = await createDraft();
      const original = (await server.admin(EVENT_BY_ID, { id })).data.event;
      const before = await snapshotDatabase(server);

      // when
      const result = await server.admin(UPDATE_EVENT, { id, input: input({ slug: original.slug, ...overrides }) });

      // then
      expectOneUserError(result, "updateEvent", field, code, "event");
      expect(await snapshotDatabase(server)).toEqual(before);
      expect((await server.admin(EVENT_BY_ID, { id })).data.event).toEqual(original);
    });

    it.each(refusedByScalars)("refuses %s with BAD_USER_INPUT and changes nothing", async (_what, overrides, mentions) => {
      // given
      const id = await createDraft();
      const before = await snapshotDatabase(server);

      // when
      const result = await server.admin(UPDATE_EVENT, { id, input: input(overrides) });

      // then
      expectBadUserInput(result, mentions);
      expect(await snapshotDatabase(server)).toEqual(before);
    });

    it("answers NOT_FOUND for an id no event has, and changes nothing", async () => {
      // given
      const before = await snapshotDatabase(server);

      // when
      const result = await server.admin(UPDATE_EVENT, { id: unknownEventId, input: input() });

      // then
      expectOneUserError(result, "updateEvent", ["id"], "NOT_FOUND", "event");
      expect(await snapshotDatabase(server)).toEqual(before);
    });

    it("refuses to edit a cancelled event", async () => {
      // given
      const id = await createDraft();
      await server.admin(CANCEL_EVENT, { id, reason: "Trainer unwell" });
      const before = await snapshotDatabase(server);

      // when
      const result = await server.admin(UPDATE_EVENT, { id, input: input({ title: "Back on" }) });

      // then
      expectOneUserError(result, "updateEvent", ["id"], "INVALID_STATE", "event");
      expect(await snapshotDatabase(server)).toEqual(before);
    });

    it("refuses a capacity below the seats already held", async () => {
      // given: two applications hold seats
      const id = await createDraft({ capacity: 5 });
      await server.admin(PUBLISH_EVENT, { id });
      const criteria = (await server.admin(EVENT_BY_ID, { id })).data.event.eligibilityCriteria;
      const course = { id, slug: "", criteria, venueId };
      for (let i = 0; i < 2; i++) {
        const registered = await server.gql(REGISTER, { input: registrationInput(course) });
        expect(registered.data.register.userErrors).toEqual([]);
      }
      const original = (await server.admin(EVENT_BY_ID, { id })).data.event;
      const before = await snapshotDatabase(server);

      // when
      const result = await server.admin(UPDATE_EVENT, { id, input: input({ slug: original.slug, capacity: 1 }) });

      // then
      expectOneUserError(result, "updateEvent", ["input", "capacity"], "INVALID", "event");
      expect(result.data.updateEvent.userErrors[0].message).toContain("2 seats");
      expect(await snapshotDatabase(server)).toEqual(before);
      expect(original.seatsRemaining).toBe(3);
    });
  });

  describe("publishEvent", () => {
    it("makes a draft public", async () => {
      // given
      const id = await createDraft();
      expect((await server.gql(PUBLIC_EVENT, { id })).data.event).toBeNull();

      // when
      const { data } = await server.admin(PUBLISH_EVENT, { id });

      // then
      expect(data.publishEvent).toEqual({ event: { id, status: "PUBLISHED" }, userErrors: [] });
      expect((await server.gql(PUBLIC_EVENT, { id })).data.event).toEqual({ id, status: "PUBLISHED", cancelReason: null, registrationOpen: true });
    });

    it.each([
      ["an id no event has", async (): Promise<string> => unknownEventId, "NOT_FOUND"],
      ["an event already published", async (): Promise<string> => {
        const id = await createDraft();
        await server.admin(PUBLISH_EVENT, { id });
        return id;
      }, "INVALID_STATE"],
      ["a cancelled event", async (): Promise<string> => {
        const id = await createDraft();
        await server.admin(CANCEL_EVENT, { id });
        return id;
      }, "INVALID_STATE"],
    ] as const)("refuses %s and changes nothing", async (_what, makeId, code) => {
      // given
      const id = await makeId();
      const before = await snapshotDatabase(server);

      // when
      const result = await server.admin(PUBLISH_EVENT, { id });

      // then
      expectOneUserError(result, "publishEvent", ["id"], code, "event");
      expect(await snapshotDatabase(server)).toEqual(before);
    });
  });

  describe("cancelEvent", () => {
    it("cancels a published event with a reason that stays public", async () => {
      // given
      const id = await createDraft();
      await server.admin(PUBLISH_EVENT, { id });

      // when
      const { data } = await server.admin(CANCEL_EVENT, { id, reason: "  The trainer is unwell.  " });

      // then
      expect(data.cancelEvent).toEqual({ event: { id, status: "CANCELLED", cancelReason: "The trainer is unwell.", registrationOpen: false }, userErrors: [] });
      expect((await server.gql(PUBLIC_EVENT, { id })).data.event).toEqual({ id, status: "CANCELLED", cancelReason: "The trainer is unwell.", registrationOpen: false });
    });

    it.each([
      ["an id no event has", async (): Promise<string> => unknownEventId, null, ["id"], "NOT_FOUND"],
      ["an event already cancelled", async (): Promise<string> => {
        const id = await createDraft();
        await server.admin(CANCEL_EVENT, { id });
        return id;
      }, null, ["id"], "INVALID_STATE"],
      ["a reason over 2000 characters", async (): Promise<string> => createDraft(), "r".repeat(2001), ["reason"], "TOO_LONG"],
    ] as const)("refuses %s and changes nothing", async (_what, makeId, reason, field, code) => {
      // given
      const id = await makeId();
      const before = await snapshotDatabase(server);

      // when
      const result = await server.admin(CANCEL_EVENT, { id, reason });

      // then
      expectOneUserError(result, "cancelEvent", [...field], code, "event");
      expect(await snapshotDatabase(server)).toEqual(before);
    });
  });

  describe("setEventPartners", () => {
    it("sets partners in order with their roles, then replaces and clears them", async () => {
      // given
      const eventId = await createDraft();
      const [host, mila, lifespan] = organisations as [{ id: string; slug: string }, { id: string; slug: string }, { id: string; slug: string }];

      // when
      const first = await server.admin(SET_EVENT_PARTNERS, {
        eventId,
        partners: [
          { organisationId: host.id, roles: ["HOST"] },
          { organisationId: mila.id, roles: ["DELIVERY_PARTNER", "BOOKING_PARTNER", "BOOKING_PARTNER"], bookingUrl: "https://www.mentalizinginitiative.org/" },
          { organisationId: lifespan.id, roles: ["SPONSOR"] },
        ],
      });
      const replaced = await server.admin(SET_EVENT_PARTNERS, { eventId, partners: [{ organisationId: lifespan.id, roles: ["HOST", "SPONSOR"] }] });
      const cleared = await server.admin(SET_EVENT_PARTNERS, { eventId, partners: [] });

      // then
      expect(first.data.setEventPartners.userErrors).toEqual([]);
      expect(first.data.setEventPartners.event.partners).toEqual([
        { roles: ["HOST"], bookingUrl: null, organisation: host },
        { roles: ["DELIVERY_PARTNER", "BOOKING_PARTNER"], bookingUrl: "https://www.mentalizinginitiative.org/", organisation: mila },
        { roles: ["SPONSOR"], bookingUrl: null, organisation: lifespan },
      ]);
      expect(replaced.data.setEventPartners.event.partners).toEqual([{ roles: ["HOST", "SPONSOR"], bookingUrl: null, organisation: lifespan }]);
      expect(cleared.data.setEventPartners.event.partners).toEqual([]);
    });

    const refusedPartners: [string, () => Record<string, unknown>[], string[], string][] = [
      ["an unknown organisation", () => [{ organisationId: organisations[0]!.id, roles: ["HOST"] }, { organisationId: unknownOrganisationId, roles: ["SPONSOR"] }], ["partners", "1", "organisationId"], "NOT_FOUND"],
      ["the same organisation twice", () => [{ organisationId: organisations[0]!.id, roles: ["HOST"] }, { organisationId: organisations[0]!.id, roles: ["SPONSOR"] }], ["partners", "1", "organisationId"], "INVALID"],
      ["a partner without roles", () => [{ organisationId: organisations[0]!.id, roles: [] }], ["partners", "0", "roles"], "REQUIRED"],
    ];

    it.each(refusedPartners)("refuses %s and keeps the partners as they were", async (_what, partners, field, code) => {
      // given
      const eventId = await createDraft();
      await server.admin(SET_EVENT_PARTNERS, { eventId, partners: [{ organisationId: organisations[1]!.id, roles: ["DELIVERY_PARTNER"] }] });
      const before = await snapshotDatabase(server);

      // when
      const result = await server.admin(SET_EVENT_PARTNERS, { eventId, partners: partners() });

      // then
      expectOneUserError(result, "setEventPartners", field, code, "event");
      expect(await snapshotDatabase(server)).toEqual(before);
    });

    it("answers NOT_FOUND for an event id no event has", async () => {
      // given
      const before = await snapshotDatabase(server);

      // when
      const result = await server.admin(SET_EVENT_PARTNERS, { eventId: unknownEventId, partners: [{ organisationId: organisations[0]!.id, roles: ["HOST"] }] });

      // then
      expectOneUserError(result, "setEventPartners", ["eventId"], "NOT_FOUND", "event");
      expect(await snapshotDatabase(server)).toEqual(before);
    });

    it.each([
      ["an unknown role", { roles: ["CATERER"] }, /partners\[0\]\.roles/],
      ["a booking URL that is not http(s)", { roles: ["BOOKING_PARTNER"], bookingUrl: "mailto:book@mila.example" }, /partners\[0\]\.bookingUrl/],
    ])("refuses %s with BAD_USER_INPUT and changes nothing", async (_what, partner, mentions) => {
      // given
      const eventId = await createDraft();
      const before = await snapshotDatabase(server);

      // when
      const result = await server.admin(SET_EVENT_PARTNERS, { eventId, partners: [{ organisationId: organisations[0]!.id, ...partner }] });

      // then
      expectBadUserInput(result, mentions);
      expect(await snapshotDatabase(server)).toEqual(before);
    });
  });
});
