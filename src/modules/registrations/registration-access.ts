import { eq, or, sql, type SQL } from "drizzle-orm";
import { forbidden, unauthenticated } from "../../common/errors.js";
import type { Context } from "../../context.js";
import { registrations } from "../../db/schema.js";

export type RegistrationRow = typeof registrations.$inferSelect;

/** Partner roles that open an event's attendee data to the partner's secret key. */
const rolesThatSeeAttendees = new Set(["HOST", "DELIVERY_PARTNER", "BOOKING_PARTNER"]);

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
      return partnerSeesEventAttendees(ctx, viewer.organisationId, registration.eventId);
    case "ANONYMOUS":
      return false;
  }
}

export async function partnerSeesEventAttendees(ctx: Context, organisationId: string, eventId: string): Promise<boolean> {
  const partners = await ctx.loaders.partnersByEventId.load(eventId);
  return partners.some((partner) => partner.organisationId === organisationId && partner.roles.some((role) => rolesThatSeeAttendees.has(role)));
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
            AND EXISTS (SELECT 1 FROM json_each(ep.roles) r WHERE r.value IN ('HOST', 'DELIVERY_PARTNER', 'BOOKING_PARTNER')))`,
      );
    case "ANONYMOUS":
      throw unauthenticated("Reading registrations needs an admin key, a partner secret key or a registrant token.");
  }
}
