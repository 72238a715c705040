/*
 * Apollo cache-control hints, put on types and fields with type-graphql's @Directive.
 * Apollo's cache-control plugin folds them into each response's policy: the smallest
 * max-age of the fields asked, PRIVATE if any field is, and no-store as soon as one
 * object field has no hint (root fields, Mutation fields, everything admin-only).
 * The policy becomes the HTTP Cache-Control header of an anonymous response and
 * decides whether the in-process response cache may keep it.
 */

/** Events, sessions, venues, organisations: edited by admins now and then. */
export const CATALOGUE_MAX_AGE_SECONDS = 60;

/** Fields that move with registrations, cancellations and the clock. */
export const LIVE_MAX_AGE_SECONDS = 5;

export const catalogueHint = `@cacheControl(maxAge: ${CATALOGUE_MAX_AGE_SECONDS})`;
export const liveHint = `@cacheControl(maxAge: ${LIVE_MAX_AGE_SECONDS})`;
/** Value objects (an address, a price, an edge): as cacheable as the object they belong to. */
export const partOfParentHint = "@cacheControl(inheritMaxAge: true)";
/** Depends on who asks: never shared, never stored. */
export const privateHint = "@cacheControl(maxAge: 0, scope: PRIVATE)";
