import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { toPayload } from "../../common/payload.js";
import type { Context } from "../../context.js";
import { logUrlRefusal } from "./webhook-url-policy.js";
import { webhookOwnerOf } from "./webhooks.access.js";
import {
  createEndpoint,
  deleteEndpoint,
  listDeliveries,
  listEndpoints,
  redeliver,
  rotateSecret,
  sendTestWebhook,
  updateEndpoint,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from "./webhooks.service.js";
import {
  CreateWebhookEndpointInput,
  UpdateWebhookEndpointInput,
  WebhookDelivery,
  WebhookDeliveryConnection,
  WebhookDeliveryStatus,
  WebhookEndpoint,
  WebhookEndpointPayload,
  WebhookSecretPayload,
} from "./webhooks.type.js";

@Resolver(() => WebhookEndpoint)
export class WebhookEndpointResolver {
  @Query(() => [WebhookEndpoint], { description: "Admin: all endpoints; partner secret key: its organisation's." })
  webhookEndpoints(@Ctx() ctx: Context): Promise<WebhookEndpointRow[]> {
    return listEndpoints(ctx.deps.db, webhookOwnerOf(ctx));
  }

  @Mutation(() => WebhookSecretPayload, { description: "Admin or partner secret key. The signing secret is shown in this answer only." })
  createWebhookEndpoint(@Ctx() ctx: Context, @Arg("input", () => CreateWebhookEndpointInput) input: CreateWebhookEndpointInput) {
    const owner = webhookOwnerOf(ctx);
    return toPayload(() => logUrlRefusal(ctx.log, () => createEndpoint(ctx.deps, owner, input)));
  }

  @Mutation(() => WebhookEndpointPayload, { description: "Admin or the owning partner. `enabled: true` re-enables a DISABLED endpoint; `false` disables it." })
  updateWebhookEndpoint(@Ctx() ctx: Context, @Arg("id", () => ID) id: string, @Arg("input", () => UpdateWebhookEndpointInput) input: UpdateWebhookEndpointInput) {
    const owner = webhookOwnerOf(ctx);
    return toPayload(async () => ({ endpoint: await logUrlRefusal(ctx.log, () => updateEndpoint(ctx.deps, owner, id, input)) }));
  }

  @Mutation(() => WebhookEndpointPayload, { description: "Admin or the owning partner. Deletes the endpoint and its delivery log." })
  deleteWebhookEndpoint(@Ctx() ctx: Context, @Arg("id", () => ID) id: string) {
    const owner = webhookOwnerOf(ctx);
    return toPayload(async () => ({ endpoint: await deleteEndpoint(ctx.deps, owner, id) }));
  }

  @Mutation(() => WebhookSecretPayload, { description: "A new secret; deliveries are signed with both the old and the new one for 24 hours. Refused (INVALID_STATE) while the 24 hours of the previous rotation run." })
  rotateWebhookSecret(@Ctx() ctx: Context, @Arg("id", () => ID) id: string) {
    const owner = webhookOwnerOf(ctx);
    return toPayload(() => rotateSecret(ctx.deps, owner, id));
  }

  @Mutation(() => WebhookEndpointPayload, { description: "Queues a WEBHOOK_PING delivery to the endpoint." })
  sendTestWebhook(@Ctx() ctx: Context, @Arg("id", () => ID) id: string) {
    const owner = webhookOwnerOf(ctx);
    return toPayload(async () => ({ endpoint: await sendTestWebhook(ctx.deps, owner, id) }));
  }

  @Mutation(() => WebhookDelivery, { nullable: true, description: "Sends the same message (same webhook-id) again." })
  redeliverWebhook(@Ctx() ctx: Context, @Arg("deliveryId", () => ID) deliveryId: string): Promise<WebhookDeliveryRow | null> {
    return redeliver(ctx.deps, webhookOwnerOf(ctx), deliveryId);
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: "The delivery log (30 days), newest first." })
  deliveries(
    @Root() endpoint: WebhookEndpointRow,
    @Ctx() ctx: Context,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Arg("status", () => [WebhookDeliveryStatus], { nullable: true }) status: WebhookDeliveryStatus[] | null,
  ) {
    return listDeliveries(ctx.deps.db, endpoint.id, { first, after, status });
  }

  @FieldResolver()
  organisation(@Root() endpoint: WebhookEndpointRow, @Ctx() ctx: Context) {
    return endpoint.organisationId ? ctx.loaders.organisationById.load(endpoint.organisationId) : null;
  }
}
