import { and, eq, or, sql, type SQL } from "drizzle-orm";
import { DomainError, forbidden, unauthenticated } from "../../common/errors.js";
import type { Context } from "../../context.js";
import { jsonArrayHasAny } from "../../db/dialect.js";
import { eventPartners, registrations } from "../../db/tables.js";

export type RegistrationRow = typeof registrations.$inferSelect;

/** Partner roles that open an event's attendee data to the partner's secret key. */
const rolesThatSeeAttendees = new Set(["HOST", "DELIVERY_PARTNER", "BOOKING_PARTNER"]);
/** Partner roles whose secret key may record payments for the event's registrations. */
const rolesThatTakePayments = new Set(["HOST", "BOOKING_PARTNER"]);

/** How an event names its partners: what every organisation-based rule below reads. */
export interface EventPartnerRoles {
  organisationId: string;
  roles: string[];
}

/**
 * Whether an organisation (a partner's secret key, or its webhook endpoint) may read this
 * registration, attendee data included: it came through the organisation's keys, or the
 * organisation hosts, delivers or takes bookings for the event. A sponsor never may.
 */
export function organisationSeesRegistration(organisationId: string, registration: Pick<RegistrationRow, "sourceOrganisationId">, partnersOfEvent: EventPartnerRoles[]): boolean {
  if (registration.sourceOrganisationId === organisationId) return true;
  return hasRole(organisationId, partnersOfEvent, rolesThatSeeAttendees);
}

function hasRole(organisationId: string, partnersOfEvent: EventPartnerRoles[], roles: Set<string>): boolean {
  return partnersOfEvent.some((partner) => partner.organisationId === organisationId && partner.roles.some((role) => roles.has(role)));
}

/**
 * Whether the caller may see this registration: the one rule every path (registration,
 * registrations, Event.registrations, node, myRegistrations, mutations) goes through.
 */
export async function canSeeRegistration(ctx: Context, registration: RegistrationRow): Promise<boolean> {
  const viewer = ctx.viewer;
  switch (viewer.role) {
    case "ADMIN":
      return true;
    case "REGISTRANT":
      return viewer.registrationId !== null ? viewer.registrationId === registration.id : viewer.emailNormalized === registration.emailNormalized;
    case "PARTNER":
      if (viewer.keyKind !== "SECRET") return false;
      if (registration.sourceOrganisationId === viewer.organisationId) return true;
      return organisationSeesRegistration(viewer.organisationId, registration, await ctx.loaders.partnersByEventId.load(registration.eventId));
    case "ANONYMOUS":
      return false;
  }
}

export async function partnerSeesEventAttendees(ctx: Context, organisationId: string, eventId: string): Promise<boolean> {
  return hasRole(organisationId, await ctx.loaders.partnersByEventId.load(eventId), rolesThatSeeAttendees);
}

/**
 * recordPayment: admins, and the secret key of an event's HOST or BOOKING_PARTNER. Any
 * other caller is FORBIDDEN; a partner that takes payments for some event but may not see
 * this registration is told it does not exist, as everywhere else.
 */
export async function assertMayRecordPayment(ctx: Context, registrationId: string): Promise<void> {
  const viewer = ctx.viewer;
  if (viewer.role === "ADMIN") return;
  if (viewer.role === "ANONYMOUS") throw unauthenticated();
  if (viewer.role !== "PARTNER" || viewer.keyKind !== "SECRET") throw forbidden("Only admins and the secret key of an event's host or booking partner may record payments.");
  const takesPaymentsSomewhere = await ctx.deps.db
    .select({ eventId: eventPartners.eventId })
    .from(eventPartners)
    .where(and(eq(eventPartners.organisationId, viewer.organisationId), jsonArrayHasAny(eventPartners.roles, [...rolesThatTakePayments])))
    .limit(1)
    .get();
  if (!takesPaymentsSomewhere) throw forbidden("Your organisation is neither host nor booking partner of any event, so it records no payments.");
  const registration = await loadVisibleRegistration(ctx, registrationId);
  if (!registration) throw new DomainError("NOT_FOUND", "No registration has this id.", ["input", "registrationId"]);
  if (!hasRole(viewer.organisationId, await ctx.loaders.partnersByEventId.load(registration.eventId), rolesThatTakePayments)) {
    throw forbidden("Only the event's host or booking partner may record payments for it.");
  }
}

/** The registration if it exists and the caller may see it; null otherwise, so a hidden one is indistinguishable from a missing one. */
export async function loadVisibleRegistration(ctx: Context, id: string): Promise<RegistrationRow | null> {
  const registration = await ctx.loaders.registrationById.load(id);
  return registration && (await canSeeRegistration(ctx, registration)) ? registration : null;
}

/**
 * The SQL form of canSeeRegistration for lists: which registrations the caller may see,
 * or an error for callers who may see none.
 */
export function registrationScope(ctx: Context): SQL | undefined {
  const viewer = ctx.viewer;
  switch (viewer.role) {
    case "ADMIN":
      return undefined;
    case "REGISTRANT":
      return viewer.registrationId !== null ? eq(registrations.id, viewer.registrationId) : eq(registrations.emailNormalized, viewer.emailNormalized);
    case "PARTNER":
      if (viewer.keyKind !== "SECRET") throw forbidden("Publishable keys cannot read registrations; use the partner's secret key from a server.");
      return or(
        eq(registrations.sourceOrganisationId, viewer.organisationId),
        sql`${registrations.eventId} IN (
          SELECT ep.event_id FROM event_partners ep
          WHERE ep.organisation_id = ${viewer.organisationId}
            AND ${jsonArrayHasAny(sql`ep.roles`, [...rolesThatSeeAttendees])})`,
      );
    case "ANONYMOUS":
      throw unauthenticated("Reading registrations needs an admin key, a partner secret key or a registrant token.");
  }
}
