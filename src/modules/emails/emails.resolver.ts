import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { requireAdmin } from "../../auth/guards.js";
import { EmailStatus } from "../../common/enums.js";
import type { Context } from "../../context.js";
import type { EmailDeliveryRow } from "./emails.access.js";
import { listEmailDeliveries, resendEmail } from "./emails.service.js";
import { EmailDelivery, EmailDeliveryConnection } from "./emails.type.js";

@Resolver(() => EmailDelivery)
export class EmailDeliveryResolver {
  @Query(() => EmailDeliveryConnection, { description: "Admins only. The outbox, newest first." })
  emailDeliveries(
    @Ctx() ctx: Context,
    @Arg("status", () => [EmailStatus], { nullable: true }) status: EmailStatus[] | null,
    @Arg("registrationId", () => ID, { nullable: true }) registrationId: string | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ) {
    requireAdmin(ctx);
    return listEmailDeliveries(ctx.deps.db, { status, registrationId, first, after });
  }

  @Mutation(() => EmailDelivery, { nullable: true, description: "Admin. Queues a fresh copy of a delivery (e.g. one that FAILED); null when the id is unknown." })
  resendEmail(@Ctx() ctx: Context, @Arg("deliveryId", () => ID) deliveryId: string) {
    requireAdmin(ctx);
    return resendEmail(ctx.deps.db, ctx.deps.clock, deliveryId);
  }

  // The columns keep what the last attempt left; once SENT (or FAILED for good) no attempt
  // is pending, so an admin sees no stale retry time (or, once SENT, error).
  @FieldResolver()
  nextAttemptAt(@Root() delivery: EmailDeliveryRow): Date | null {
    return delivery.status === "QUEUED" || delivery.status === "RETRYING" ? delivery.nextAttemptAt : null;
  }

  @FieldResolver()
  lastError(@Root() delivery: EmailDeliveryRow): string | null {
    return delivery.status === "SENT" ? null : delivery.lastError;
  }
}
