import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectBadUserInput, expectOneUserError, fullVenueInput } from "../helpers/catalogue.js";
import { snapshotDatabase } from "../helpers/db-snapshot.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const VENUE_FIELDS = /* GraphQL */ `
  fragment VenueFields on Venue {
    id name timeZone latitude longitude mapUrl
    address { line1 line2 city region postalCode country }
    accessibility { adaCompliant wheelchairAccessible stepFreeEntrance accessibleRestrooms accessibleParking hearingLoop notes infoUrl }
  }
`;

const CREATE_VENUE = /* GraphQL */ `
  mutation CreateVenue($input: VenueInput!) {
    createVenue(input: $input) { venue { ...VenueFields } userErrors { field message code } }
  }
  ${VENUE_FIELDS}
`;

const UPDATE_VENUE = /* GraphQL */ `
  mutation UpdateVenue($id: ID!, $input: VenueInput!) {
    updateVenue(id: $id, input: $input) { venue { ...VenueFields } userErrors { field message code } }
  }
  ${VENUE_FIELDS}
`;

const VENUE_NODE = /* GraphQL */ `
  query VenueNode($id: ID!) { node(id: $id) { __typename ...VenueFields } }
  ${VENUE_FIELDS}
`;

const long = (n: number) => "x".repeat(n);

/** Inputs a service refuses with a userError: [what, input, field, code]. */
const refusedByService: [string, Record<string, unknown>, string[], string][] = [
  ["a blank name", fullVenueInput({ name: "   " }), ["input", "name"], "REQUIRED"],
  ["a name over 200 characters", fullVenueInput({ name: long(201) }), ["input", "name"], "TOO_LONG"],
  ["a blank first address line", fullVenueInput({ address: { ...fullVenueInput().address, line1: "" } }), ["input", "address", "line1"], "REQUIRED"],
  ["a blank city", fullVenueInput({ address: { ...fullVenueInput().address, city: " " } }), ["input", "address", "city"], "REQUIRED"],
  ["a blank country", fullVenueInput({ address: { ...fullVenueInput().address, country: "" } }), ["input", "address", "country"], "REQUIRED"],
  ["a postal code over 20 characters", fullVenueInput({ address: { ...fullVenueInput().address, postalCode: long(21) } }), ["input", "address", "postalCode"], "TOO_LONG"],
  ["a latitude beyond 90", fullVenueInput({ latitude: 91 }), ["input", "latitude"], "INVALID"],
  ["a longitude beyond -180", fullVenueInput({ longitude: -181 }), ["input", "longitude"], "INVALID"],
  ["a latitude without a longitude", fullVenueInput({ longitude: null }), ["input", "longitude"], "INVALID"],
  ["accessibility notes over 5000 characters", fullVenueInput({ accessibility: { ...fullVenueInput().accessibility, notes: long(5001) } }), ["input", "accessibility", "notes"], "TOO_LONG"],
];

/** Inputs GraphQL refuses before the service runs: [what, input, the message names]. */
const refusedByScalars: [string, Record<string, unknown>, RegExp][] = [
  ["an unknown time zone", fullVenueInput({ timeZone: "Mars/Olympus" }), /input\.timeZone.*Mars\/Olympus/],
  ["a map URL that is not http(s)", fullVenueInput({ mapUrl: "ftp://maps.example/ucla" }), /input\.mapUrl/],
  ["an accessibility info URL that is not a URL", fullVenueInput({ accessibility: { ...fullVenueInput().accessibility, infoUrl: "see the website" } }), /input\.accessibility\.infoUrl/],
  ["a missing ADA statement", fullVenueInput({ accessibility: { notes: "step-free" } }), /adaCompliant/],
  ["a latitude that is not a number", fullVenueInput({ latitude: "north" }), /input\.latitude/],
];

describe("createVenue and updateVenue (admin)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("creates a venue with its address, coordinates and every accessibility fact", async () => {
    // given
    const before = await snapshotDatabase(server);

    // when
    const { data, errors } = await server.admin(CREATE_VENUE, { input: fullVenueInput() });

    // then
    expect(errors).toBeUndefined();
    expect((await snapshotDatabase(server)).venues).toHaveLength(before.venues!.length + 1);
    expect(data.createVenue.userErrors).toEqual([]);
    const { id, ...venue } = data.createVenue.venue;
    expect(id).toMatch(/^ven_/);
    expect(venue).toEqual(fullVenueInput());
    const read = await server.gql(VENUE_NODE, { id });
    expect(read.data.node).toEqual({ __typename: "Venue", id, ...fullVenueInput() });
  });

  it("stores unknown accessibility facts as null rather than false", async () => {
    // when
    const { data } = await server.admin(CREATE_VENUE, { input: fullVenueInput({ latitude: null, longitude: null, mapUrl: null, accessibility: { adaCompliant: false } }) });

    // then
    expect(data.createVenue.venue).toMatchObject({
      latitude: null,
      longitude: null,
      mapUrl: null,
      accessibility: { adaCompliant: false, wheelchairAccessible: null, stepFreeEntrance: null, accessibleRestrooms: null, accessibleParking: null, hearingLoop: null, notes: null, infoUrl: null },
    });
  });

  it("replaces a venue's details with updateVenue", async () => {
    // given
    const created = await server.admin(CREATE_VENUE, { input: fullVenueInput() });
    const id = created.data.createVenue.venue.id;
    const changed = fullVenueInput({
      name: "Anna Freud Centre",
      address: { line1: "4–8 Rodney Street", line2: null, city: "London", region: null, postalCode: "N1 9JH", country: "GB" },
      timeZone: "Europe/London",
      latitude: 51.5335,
      longitude: -0.1167,
      accessibility: { adaCompliant: false, hearingLoop: true, stepFreeEntrance: true, notes: "Lift to every floor." },
    });

    // when
    const { data } = await server.admin(UPDATE_VENUE, { id, input: changed });

    // then
    expect(data.updateVenue.userErrors).toEqual([]);
    const read = await server.gql(VENUE_NODE, { id });
    expect(read.data.node).toMatchObject({
      id,
      name: "Anna Freud Centre",
      timeZone: "Europe/London",
      address: { line1: "4–8 Rodney Street", line2: null, city: "London", postalCode: "N1 9JH", country: "GB" },
      accessibility: { adaCompliant: false, hearingLoop: true, stepFreeEntrance: true, wheelchairAccessible: null, notes: "Lift to every floor.", infoUrl: null },
    });
  });

  it.each(refusedByService)("createVenue refuses %s with a userError and stores nothing", async (_what, input, field, code) => {
    // given
    const before = await snapshotDatabase(server);

    // when
    const result = await server.admin(CREATE_VENUE, { input });

    // then
    expectOneUserError(result, "createVenue", field, code, "venue");
    expect(await snapshotDatabase(server)).toEqual(before);
  });

  it.each(refusedByService)("updateVenue refuses %s with a userError and changes nothing", async (_what, input, field, code) => {
    // given
    const created = await server.admin(CREATE_VENUE, { input: fullVenueInput() });
    const id = created.data.createVenue.venue.id;
    const before = await snapshotDatabase(server);

    // when
    const result = await server.admin(UPDATE_VENUE, { id, input });

    // then
    expectOneUserError(result, "updateVenue", field, code, "venue");
    expect(await snapshotDatabase(server)).toEqual(before);
    expect((await server.gql(VENUE_NODE, { id })).data.node).toEqual({ __typename: "Venue", id, ...fullVenueInput() });
  });

  it.each(refusedByScalars)("createVenue refuses %s with BAD_USER_INPUT and stores nothing", async (_what, input, mentions) => {
    // given
    const before = await snapshotDatabase(server);

    // when
    const result = await server.admin(CREATE_VENUE, { input });

    // then
    expectBadUserInput(result, mentions);
    expect(await snapshotDatabase(server)).toEqual(before);
  });

  it.each(refusedByScalars)("updateVenue refuses %s with BAD_USER_INPUT and changes nothing", async (_what, input, mentions) => {
    // given
    const created = await server.admin(CREATE_VENUE, { input: fullVenueInput() });
    const id = created.data.createVenue.venue.id;
    const before = await snapshotDatabase(server);

    // when
    const result = await server.admin(UPDATE_VENUE, { id, input });

    // then
    expectBadUserInput(result, mentions);
    expect(await snapshotDatabase(server)).toEqual(before);
  });

  it.each([
    ["a well-formed id no venue has", "ven_01ARZ3NDEKTSV4RRFFQ69G5FAV"],
    ["an event's id", "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV"],
    ["garbage", "not-an-id"],
  ])("updateVenue with %s answers NOT_FOUND and changes nothing", async (_what, id) => {
    // given
    const before = await snapshotDatabase(server);

    // when
    const result = await server.admin(UPDATE_VENUE, { id, input: fullVenueInput() });

    // then
    expectOneUserError(result, "updateVenue", ["id"], "NOT_FOUND", "venue");
    expect(await snapshotDatabase(server)).toEqual(before);
  });
});
