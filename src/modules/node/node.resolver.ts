import { Arg, Ctx, Directive, Field, ID, ObjectType, Query, Resolver } from "type-graphql";
import { privateHint } from "../../cache/cache-hints.js";
import { canSeeEvent } from "../../auth/guards.js";
import { idKind } from "../../common/ids.js";
import { EmailAddressScalar } from "../../common/scalars.js";
import { ViewerRole } from "../../common/enums.js";
import type { Context } from "../../context.js";
import { toVenue } from "../venues/venues.type.js";
import { Organisation } from "../organisations/organisations.type.js";
import { Node } from "./node.type.js";
import { loadVisibleRegistration } from "../registrations/registration-access.js";
import { loadVisibleEmailDelivery } from "../emails/emails.access.js";
import { loadVisibleWebhookDelivery, loadVisibleWebhookEndpoint } from "../webhooks/webhooks.access.js";

@ObjectType({ description: "Who the server takes the caller to be." })
@Directive(privateHint)
export class Viewer {
  @Field(() => ViewerRole)
  role!: ViewerRole;

  @Field(() => Organisation, { nullable: true, description: "The partner organisation of a partner key." })
  organisation?: Organisation | null;

  @Field(() => EmailAddressScalar, { nullable: true, description: "The registrant's address." })
  email?: string | null;
}

@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: "Any object by its global id; null when it does not exist or is not visible to the caller." })
  async node(@Ctx() ctx: Context, @Arg("id", () => ID) id: string): Promise<Node | null> {
    switch (idKind(id)) {
      case "event": {
        const event = await ctx.loaders.eventById.load(id);
        return event && canSeeEvent(ctx, event) ? event : null;
      }
      case "session": {
        const session = await ctx.loaders.sessionById.load(id);
        const event = session ? await ctx.loaders.eventById.load(session.eventId) : null;
        return session && event && canSeeEvent(ctx, event) ? session : null;
      }
      case "venue": {
        const venue = await ctx.loaders.venueById.load(id);
        return venue ? toVenue(venue) : null;
      }
      case "organisation":
        return ctx.loaders.organisationById.load(id);
      case "registration":
        return loadVisibleRegistration(ctx, id);
      case "emailDelivery":
        return loadVisibleEmailDelivery(ctx, id);
      case "certificate": {
        const certificate = await ctx.loaders.certificateById.load(id);
        return certificate && (await loadVisibleRegistration(ctx, certificate.registrationId)) ? certificate : null;
      }
      case "webhookEndpoint":
        return loadVisibleWebhookEndpoint(ctx, id);
      case "webhookDelivery":
        return loadVisibleWebhookDelivery(ctx, id);
      default:
        return null;
    }
  }

  @Query(() => Viewer)
  async viewer(@Ctx() ctx: Context): Promise<Viewer> {
    const viewer = ctx.viewer;
    return {
      role: viewer.role as ViewerRole,
      organisation: viewer.role === "PARTNER" ? await ctx.loaders.organisationById.load(viewer.organisationId) : null,
      email: viewer.role === "REGISTRANT" ? viewer.emailNormalized : null,
    };
  }
}
