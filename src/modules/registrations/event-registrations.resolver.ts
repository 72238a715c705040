import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from "type-graphql";
import { RegistrationStatus } from "../../common/enums.js";
import { forbidden, unauthenticated } from "../../common/errors.js";
import type { Context } from "../../context.js";
import type { EventRow } from "../events/event-rules.js";
import { Event } from "../events/events.type.js";
import { partnerSeesEventAttendees } from "./registration-access.js";
import { listRegistrations } from "./registrations.query.js";
import { RegistrationConnection } from "./registrations.type.js";

/**
 * Event.registrations: the whole list of an event's attendees, so only admins and the
 * event's partners (secret key, HOST/DELIVERY_PARTNER/BOOKING_PARTNER) may read it,
 * however the event was reached.
 */
@Resolver(() => Event)
export class EventRegistrationsResolver {
  @FieldResolver(() => RegistrationConnection, { description: "Admins and the event's partners only." })
  async registrations(
    @Root() event: EventRow,
    @Ctx() ctx: Context,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Arg("status", () => [RegistrationStatus], { nullable: true }) status: RegistrationStatus[] | null,
  ) {
    const viewer = ctx.viewer;
    if (viewer.role === "ANONYMOUS") throw unauthenticated();
    const allowed =
      viewer.role === "ADMIN" || (viewer.role === "PARTNER" && viewer.keyKind === "SECRET" && (await partnerSeesEventAttendees(ctx, viewer.organisationId, event.id)));
    if (!allowed) throw forbidden("Only admins and the event's partners may list its registrations.");
    // Allowed callers see the whole event, so its kept counts answer totalCount.
    return listRegistrations(ctx.deps.db, { scope: undefined, eventId: event.id, status, first, after });
  }
}
