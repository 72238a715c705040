import { expect } from "vitest";
import { mbtTimeZone } from "../../src/demo/mbt-course.js";
import type { GqlResult } from "./server.js";

/* Inputs and assertions shared by the catalogue tests (venues, organisations, events). */

/** A venue input with every field set, including every accessibility fact. */
export function fullVenueInput(overrides: Record<string, unknown> = {}) {
  return {
    name: "UCLA Faculty Center",
    address: { line1: "480 Charles E Young Dr E", line2: "Sunset Room", city: "Los Angeles", region: "CA", postalCode: "90095", country: "US" },
    timeZone: mbtTimeZone,
    latitude: 34.0717,
    longitude: -118.4422,
    mapUrl: "https://www.openstreetmap.org/?mlat=34.0717&mlon=-118.4422",
    accessibility: {
      adaCompliant: true,
      wheelchairAccessible: true,
      stepFreeEntrance: false,
      accessibleRestrooms: true,
      accessibleParking: true,
      hearingLoop: false,
      notes: "The UCLA Faculty Center is ADA compliant.",
      infoUrl: "https://www.facultycenter.ucla.edu/",
    },
    ...overrides,
  };
}

/** Asserts a mutation answered with exactly one userError at `field` with `code`, and no object. */
export function expectOneUserError(result: GqlResult<any>, mutation: string, field: string[], code: string, objectKey?: string) {
  expect(result.errors).toBeUndefined();
  const payload = result.data[mutation];
  expect(payload.userErrors).toEqual([{ field, code, message: expect.any(String) }]);
  expect(payload.userErrors[0].message.length).toBeGreaterThan(5);
  if (objectKey) expect(payload[objectKey]).toBeNull();
}

/** Asserts the request was refused before any resolver ran: a GraphQL BAD_USER_INPUT error naming the input path. */
export function expectBadUserInput(result: GqlResult<any>, mentions: string | RegExp) {
  expect(result.status).toBe(400);
  expect(result.data ?? null).toBeNull();
  expect(result.errors?.length).toBeGreaterThanOrEqual(1);
  expect(result.errors![0]!.extensions?.code).toBe("BAD_USER_INPUT");
  expect(result.errors![0]!.message).toMatch(mentions);
}

/** Every field of Event and of the types it reaches, except registrations (see test/registrations). */
export const EVENT_FIELDS = /* GraphQL */ `
  fragment EventFields on Event {
    id slug title summary description audience format status timeZone startsAt endsAt startDate endDate
    liveHours selfGuidedHours programmeLength capacity seatsRemaining waitlistEnabled requiresReview offerWindowHours
    registrationOpen registrationOpensAt registrationClosesAt bookingUrl cancelReason
    price { amountMinor currency formatted }
    contact { name email phone }
    venue { id name timeZone latitude longitude mapUrl address { line1 line2 city region postalCode country } accessibility { adaCompliant wheelchairAccessible stepFreeEntrance accessibleRestrooms accessibleParking hearingLoop notes infoUrl } }
    sessions { id title kind startsAt endsAt localStart localEnd timeZone timeZoneAbbreviation utcOffset durationMinutes event { id } venue { id name } }
    partners { roles bookingUrl organisation { id slug name website email phone } }
    learningObjectives { position text }
    eligibilityCriteria { id position text required }
    prerequisite { title description durationHours url accessOpensAt completeBy accessLeadDays }
  }
`;

export const EVENT_BY_ID = /* GraphQL */ `
  query EventById($id: ID!) { event(id: $id) { ...EventFields } }
  ${EVENT_FIELDS}
`;
