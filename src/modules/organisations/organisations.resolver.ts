import { eq } from "drizzle-orm";
import { Arg, Ctx, Field, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from "type-graphql";
import { requireAdmin } from "../../auth/guards.js";
import { toPayload, UserError } from "../../common/payload.js";
import type { Context } from "../../context.js";
import { organisations } from "../../db/tables.js";
import { listEvents } from "../events/events.service.js";
import { EventConnection } from "../events/events.type.js";
import { OrganisationInput } from "./organisations.inputs.js";
import { createOrganisation, firstPageOfOrganisationEvents, listOrganisations, updateOrganisation } from "./organisations.service.js";
import { Organisation, OrganisationConnection, type OrganisationRow } from "./organisations.type.js";

@ObjectType()
export class OrganisationPayload {
  @Field(() => Organisation, { nullable: true })
  organisation?: Organisation | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@Resolver(() => Organisation)
export class OrganisationResolver {
  @Query(() => OrganisationConnection, { description: "Organisations that take part in published events (admins: all), by name." })
  async organisations(
    @Ctx() ctx: Context,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20, description: "Page size, at most 100." }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ) {
    const connection = await listOrganisations(ctx.deps.db, { first, after, includeUnpublished: ctx.viewer.role === "ADMIN" });
    for (const edge of connection.edges) ctx.loaders.organisationById.prime(edge.node.id, edge.node);
    return connection;
  }

  @Query(() => Organisation, { nullable: true })
  async organisation(@Ctx() ctx: Context, @Arg("slug", () => String) slug: string): Promise<OrganisationRow | null> {
    return (await ctx.deps.db.select().from(organisations).where(eq(organisations.slug, slug)).get()) ?? null;
  }

  @FieldResolver(() => EventConnection, { description: "Events this organisation takes part in, in start order." })
  events(
    @Root() organisation: OrganisationRow,
    @Ctx() ctx: Context,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ) {
    const includeDrafts = ctx.viewer.role === "ADMIN";
    // A first page is batched across organisations (a list of them asks for many); later pages are one list each.
    if (after != null) return listEvents(ctx.deps.db, { filter: { organisationSlug: organisation.slug }, first, after, includeDrafts });
    return firstPageOfOrganisationEvents(ctx.loaders, { organisationId: organisation.id, includeDrafts }, first);
  }

  @Mutation(() => OrganisationPayload, { description: "Admin." })
  createOrganisation(@Ctx() ctx: Context, @Arg("input", () => OrganisationInput) input: OrganisationInput) {
    requireAdmin(ctx);
    return toPayload(async () => ({ organisation: await createOrganisation(ctx.deps, input) }));
  }

  @Mutation(() => OrganisationPayload, { description: "Admin." })
  updateOrganisation(@Ctx() ctx: Context, @Arg("id", () => ID) id: string, @Arg("input", () => OrganisationInput) input: OrganisationInput) {
    requireAdmin(ctx);
    return toPayload(async () => ({ organisation: await updateOrganisation(ctx.deps, id, input) }));
  }
}
