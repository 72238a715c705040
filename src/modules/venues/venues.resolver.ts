import { Arg, Ctx, Field, ID, Mutation, ObjectType, Resolver } from "type-graphql";
import { requireAdmin } from "../../auth/guards.js";
import { toPayload, UserError } from "../../common/payload.js";
import type { Context } from "../../context.js";
import { VenueInput } from "./venues.inputs.js";
import { createVenue, updateVenue } from "./venues.service.js";
import { toVenue, Venue } from "./venues.type.js";

@ObjectType()
export class VenuePayload {
  @Field(() => Venue, { nullable: true })
  venue?: Venue | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@Resolver(() => Venue)
export class VenueResolver {
  @Mutation(() => VenuePayload, { description: "Admin. A venue with its address and accessibility facts." })
  createVenue(@Ctx() ctx: Context, @Arg("input", () => VenueInput) input: VenueInput) {
    requireAdmin(ctx);
    return toPayload(() => ({ venue: toVenue(createVenue(ctx.deps, input)) }));
  }

  @Mutation(() => VenuePayload, { description: "Admin. Replaces a venue's details." })
  updateVenue(@Ctx() ctx: Context, @Arg("id", () => ID) id: string, @Arg("input", () => VenueInput) input: VenueInput) {
    requireAdmin(ctx);
    return toPayload(() => ({ venue: toVenue(updateVenue(ctx.deps, id, input)) }));
  }
}
