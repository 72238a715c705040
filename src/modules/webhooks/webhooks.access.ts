import { eq } from "drizzle-orm";
import { forbidden, unauthenticated } from "../../common/errors.js";
import type { Context } from "../../context.js";
import { webhookDeliveries, webhookEndpoints } from "../../db/tables.js";
import type { WebhookDeliveryRow, WebhookEndpointRow, WebhookOwner } from "./webhooks.service.js";

/**
 * Who may manage webhook endpoints: admins (all of them, and endpoints of their own that
 * hear of everything) and a partner's secret key (its organisation's). Publishable keys
 * live in browsers and registrants have no organisation: FORBIDDEN.
 */
export function webhookOwnerOf(ctx: Context): WebhookOwner {
  const viewer = ctx.viewer;
  if (viewer.role === "ADMIN") return { kind: "ADMIN" };
  if (viewer.role === "PARTNER" && viewer.keyKind === "SECRET") return { kind: "ORGANISATION", organisationId: viewer.organisationId };
  if (viewer.role === "ANONYMOUS") throw unauthenticated("Webhook endpoints are managed with an admin key or a partner's secret key.");
  throw forbidden("Webhook endpoints are managed with an admin key or a partner's secret key (from a server, never a browser).");
}

/** node(id:) and nested reads: the endpoint if this caller manages it. */
export function mayManageEndpoint(ctx: Context, endpoint: WebhookEndpointRow): boolean {
  const viewer = ctx.viewer;
  if (viewer.role === "ADMIN") return true;
  return viewer.role === "PARTNER" && viewer.keyKind === "SECRET" && endpoint.organisationId === viewer.organisationId;
}

export async function loadVisibleWebhookEndpoint(ctx: Context, id: string): Promise<WebhookEndpointRow | null> {
  const endpoint = await ctx.deps.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get();
  return endpoint && mayManageEndpoint(ctx, endpoint) ? endpoint : null;
}

export async function loadVisibleWebhookDelivery(ctx: Context, id: string): Promise<WebhookDeliveryRow | null> {
  const delivery = await ctx.deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).get();
  return delivery && (await loadVisibleWebhookEndpoint(ctx, delivery.endpointId)) ? delivery : null;
}
