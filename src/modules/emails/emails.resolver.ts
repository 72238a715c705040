import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import { requireAdmin } from "../../auth/guards.js";
import { EmailStatus } from "../../common/enums.js";
import type { Context } from "../../context.js";
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
}
