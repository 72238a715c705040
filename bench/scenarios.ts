/*
 * What the benchmark asks. Every target answers these exact documents, so the
 * baselines in bench/targets/ implement just the fields used here.
 */
import { createHash } from "node:crypto";

/** S1 (and S2): one event page, everything a partner site shows about a course. */
export const EVENT_DETAIL_QUERY = `query EventDetail($slug: String!) {
  event(slug: $slug) {
    id slug title summary description audience format status timeZone
    startsAt endsAt startDate endDate liveHours selfGuidedHours programmeLength
    capacity seatsRemaining registrationOpen requiresReview waitlistEnabled
    price { amountMinor currency formatted }
    sessions { id title kind startsAt endsAt localStart localEnd timeZoneAbbreviation utcOffset durationMinutes }
    venue {
      id name timeZone latitude longitude mapUrl
      address { line1 line2 city region postalCode country }
      accessibility { adaCompliant wheelchairAccessible stepFreeEntrance accessibleRestrooms accessibleParking hearingLoop notes infoUrl }
    }
    partners { roles bookingUrl organisation { id slug name website } }
    learningObjectives { position text }
    eligibilityCriteria { id position text required }
    prerequisite { title description durationHours url accessLeadDays accessOpensAt completeBy }
  }
}`;

/** S3: the catalogue's first page. */
export const EVENT_LIST_QUERY = `query EventList {
  events(first: 50) {
    totalCount
    pageInfo { hasNextPage }
    edges {
      node {
        id slug title startsAt endsAt seatsRemaining
        sessions { id title kind startsAt endsAt localStart localEnd timeZoneAbbreviation }
        venue { id name address { city country } }
        partners { roles organisation { id name } }
      }
    }
  }
}`;

/** S4. */
export const REGISTER_MUTATION = "mutation Register($input: RegisterInput!) { register(input: $input) { registration { status } userErrors { code } } }";

/** S5, as an admin: the first page of one event's registrations with its total. */
export const ADMIN_REGISTRATIONS_QUERY = `query AdminRegistrations($eventId: ID!) {
  registrations(eventId: $eventId, first: 20) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id reference status createdAt attendee { firstName lastName email } } }
  }
}`;

/** S5, anonymous. */
export const SEATS_REMAINING_QUERY = "query Seats($slug: String!) { event(slug: $slug) { seatsRemaining } }";

/** What the scenario asks over HTTP, in the shape autocannon and fetch both take. */
export interface HttpRequest {
  method: "GET" | "POST";
  /** Path and query string, e.g. "/graphql?extensions=…". */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const jsonHeaders = { "content-type": "application/json" };

export function postRequest(query: string, variables: Record<string, unknown> = {}, token?: string): HttpRequest {
  return {
    method: "POST",
    path: "/graphql",
    headers: { ...jsonHeaders, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  };
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * S2: the automatic-persisted-query GET a CDN can cache. The header satisfies Apollo's
 * CSRF prevention, which refuses GETs that a browser could send cross-site unasked.
 */
export function persistedGetRequest(query: string, variables: Record<string, unknown>): HttpRequest {
  const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } });
  const params = new URLSearchParams({ variables: JSON.stringify(variables), extensions });
  return { method: "GET", path: `/graphql?${params}`, headers: { "apollo-require-preflight": "true" } };
}

/** The POST that registers a persisted query's hash (Apollo's APQ protocol). */
export function persistedRegisterRequest(query: string, variables: Record<string, unknown>): HttpRequest {
  return {
    method: "POST",
    path: "/graphql",
    headers: jsonHeaders,
    body: JSON.stringify({ query, variables, extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } } }),
  };
}

/** The raw target replays captured bodies keyed by exactly what was asked. */
export function requestKey(request: { method: string; path: string; body?: string }): string {
  return `${request.method} ${request.path} ${request.body ?? ""}`;
}
