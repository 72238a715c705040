import { Arg, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import { requireAdmin } from "../../auth/guards.js";
import { toPayload, UserError } from "../../common/payload.js";
import type { Context } from "../../context.js";
import { VenueInput } from "./venues.inputs.js";
import { createVenue, listVenues, updateVenue } from "./venues.service.js";
import { toVenue, Venue, VenueConnection } from "./venues.type.js";

@ObjectType()
export class VenuePayload {
  @Field(() => Venue, { nullable: true })
  venue?: Venue | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@Resolver(() => Venue)
export class VenueResolver {
  @Query(() => VenueConnection, { description: "Venues of published events (admins: all), by name." })
  async venues(
    @Ctx() ctx: Context,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20, description: "Page size, at most 100." }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ) {
    const connection = await listVenues(ctx.deps.db, { first, after, includeUnpublished: ctx.viewer.role === "ADMIN" });
    for (const edge of connection.edges) ctx.loaders.venueById.prime(edge.node.id, edge.node);
    return {
      edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: toVenue(edge.node) })),
      pageInfo: connection.pageInfo,
      get totalCount() {
        return connection.totalCount;
      },
    };
  }

  @Mutation(() => VenuePayload, { description: "Admin. A venue with its address and accessibility facts." })
  createVenue(@Ctx() ctx: Context, @Arg("input", () => VenueInput) input: VenueInput) {
    requireAdmin(ctx);
    return toPayload(async () => ({ venue: toVenue(await createVenue(ctx.deps, input)) }));
  }

  @Mutation(() => VenuePayload, { description: "Admin. Replaces a venue's details." })
  updateVenue(@Ctx() ctx: Context, @Arg("id", () => ID) id: string, @Arg("input", () => VenueInput) input: VenueInput) {
    requireAdmin(ctx);
    return toPayload(async () => ({ venue: toVenue(await updateVenue(ctx.deps, id, input)) }));
  }
}
