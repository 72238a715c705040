import { ADMIN_KEY_HINT, forbidden, unauthenticated } from "../common/errors.js";
import type { Context } from "../context.js";
import type { EventRow } from "../modules/events/event-rules.js";

/* Authorisation checks used by resolvers; the access table of DESIGN.md in code. */

export function requireAdmin(ctx: Context): void {
  if (ctx.viewer.role === "ADMIN") return;
  if (ctx.viewer.role === "ANONYMOUS") throw unauthenticated(`This operation needs an admin key. ${ADMIN_KEY_HINT}`);
  throw forbidden(`Only admins may do this. ${ADMIN_KEY_HINT}`);
}

/** Drafts are for admins only; everything else about a published event is public. */
export function canSeeEvent(ctx: Context, event: EventRow): boolean {
  return event.status !== "DRAFT" || ctx.viewer.role === "ADMIN";
}
