import { ADMIN_KEY_HINT, forbidden, unauthenticated } from "../../common/errors.js";
import type { Context } from "../../context.js";
import type { EventPartnerRoles, RegistrationRow } from "../registrations/registration-access.js";

/*
 * Who runs an event's attendance: admins, and the secret keys of the organisations that
 * are the event's HOST or DELIVERY_PARTNER (not a booking partner, never a sponsor).
 * The one place this rule lives; the GraphQL resolvers, the HTTP routes (certificate
 * PDF, CSV export) and the webhook audience (webhook-messages.ts: who hears of attendance
 * and certificates) all ask here.
 */

const staffRoles = new Set(["HOST", "DELIVERY_PARTNER"]);

/** Whether the organisation is the event's HOST or DELIVERY_PARTNER. */
export function organisationIsEventStaff(organisationId: string, partnersOfEvent: EventPartnerRoles[]): boolean {
  return partnersOfEvent.some((partner) => partner.organisationId === organisationId && partner.roles.some((role) => staffRoles.has(role)));
}

type Caller = Pick<Context, "viewer" | "loaders">;

/** Admin or a partner's secret key: the callers that may be staff of some event. Everyone else is refused at once. */
export function requireStaffCaller(ctx: Caller): void {
  const viewer = ctx.viewer;
  if (viewer.role === "ADMIN") return;
  if (viewer.role === "ANONYMOUS") throw unauthenticated(`Recording attendance needs an admin key or the secret key of the event's host or delivery partner. ${ADMIN_KEY_HINT}`);
  if (viewer.role === "PARTNER" && viewer.keyKind === "SECRET") return;
  throw forbidden("Only admins and the event's host or delivery partner (secret key) may do this.");
}

export async function isEventStaff(ctx: Caller, eventId: string): Promise<boolean> {
  const viewer = ctx.viewer;
  if (viewer.role === "ADMIN") return true;
  if (viewer.role !== "PARTNER" || viewer.keyKind !== "SECRET") return false;
  return organisationIsEventStaff(viewer.organisationId, await ctx.loaders.partnersByEventId.load(eventId));
}

export async function requireEventStaff(ctx: Caller, eventId: string): Promise<void> {
  requireStaffCaller(ctx);
  if (!(await isEventStaff(ctx, eventId))) throw forbidden("Only admins and this event's host or delivery partner (secret key) may do this.");
}

/** The registrant themself, or an admin: who may evaluate, claim, and read the check-in code. */
export function isRegistrantOrAdmin(ctx: Caller, registration: RegistrationRow): boolean {
  const viewer = ctx.viewer;
  if (viewer.role === "ADMIN") return true;
  if (viewer.role !== "REGISTRANT") return false;
  return viewer.registrationId !== null ? viewer.registrationId === registration.id : viewer.emailNormalized === registration.emailNormalized;
}

/** Who may download a certificate's PDF: the registrant, admins, and the event's staff. */
export async function canDownloadCertificate(ctx: Caller, registration: RegistrationRow): Promise<boolean> {
  return isRegistrantOrAdmin(ctx, registration) || (await isEventStaff(ctx, registration.eventId));
}
