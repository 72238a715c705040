import { Ctx, FieldResolver, Int, Resolver, Root } from "type-graphql";
import { LocalDateTimeScalar, TimeZoneScalar } from "../../common/scalars.js";
import { instantToLocal, utcOffset, zoneAbbreviation } from "../../common/time.js";
import type { Context } from "../../context.js";
import type { sessions } from "../../db/schema.js";
import { Venue, toVenue } from "../venues/venues.type.js";
import { Event, Session } from "./events.type.js";

type SessionRow = typeof sessions.$inferSelect;

/** A session's zone is its event's: its wall-clock fields derive from that zone at the instant. */
@Resolver(() => Session)
export class SessionResolver {
  /** The event's zone, at once when this request has read the event (it almost always has). */
  private zone(session: SessionRow, ctx: Context): string | Promise<string> {
    const event = ctx.loaders.loadedEvent(session.eventId);
    return event ? event.timeZone : ctx.loaders.eventById.load(session.eventId).then((row) => row!.timeZone);
  }

  /** `convert(zone)` with the session's zone: a plain value when the zone is known, a promise otherwise. */
  private inZone(session: SessionRow, ctx: Context, convert: (zone: string) => string): string | Promise<string> {
    const zone = this.zone(session, ctx);
    return typeof zone === "string" ? convert(zone) : zone.then(convert);
  }

  @FieldResolver(() => Event)
  event(@Root() session: SessionRow, @Ctx() ctx: Context) {
    return ctx.loaders.loadedEvent(session.eventId) ?? ctx.loaders.eventById.load(session.eventId).then((row) => row!);
  }

  @FieldResolver(() => LocalDateTimeScalar, { description: "Wall-clock start in timeZone, e.g. 2023-10-04T08:30." })
  localStart(@Root() session: SessionRow, @Ctx() ctx: Context): string | Promise<string> {
    return this.inZone(session, ctx, (zone) => instantToLocal(session.startsAt, zone));
  }

  @FieldResolver(() => LocalDateTimeScalar)
  localEnd(@Root() session: SessionRow, @Ctx() ctx: Context): string | Promise<string> {
    return this.inZone(session, ctx, (zone) => instantToLocal(session.endsAt, zone));
  }

  @FieldResolver(() => TimeZoneScalar)
  timeZone(@Root() session: SessionRow, @Ctx() ctx: Context): string | Promise<string> {
    return this.zone(session, ctx);
  }

  @FieldResolver(() => String, { description: "Abbreviation in force at startsAt, e.g. PDT." })
  timeZoneAbbreviation(@Root() session: SessionRow, @Ctx() ctx: Context): string | Promise<string> {
    return this.inZone(session, ctx, (zone) => zoneAbbreviation(session.startsAt, zone));
  }

  @FieldResolver(() => String, { description: "Offset in force at startsAt, e.g. -07:00." })
  utcOffset(@Root() session: SessionRow, @Ctx() ctx: Context): string | Promise<string> {
    return this.inZone(session, ctx, (zone) => utcOffset(session.startsAt, zone));
  }

  @FieldResolver(() => Int)
  durationMinutes(@Root() session: SessionRow): number {
    return Math.round((session.endsAt.getTime() - session.startsAt.getTime()) / 60_000);
  }

  @FieldResolver(() => Venue, { nullable: true, description: "The session's own venue, or else the event's." })
  async venue(@Root() session: SessionRow, @Ctx() ctx: Context): Promise<Venue | null> {
    const venueId = session.venueId ?? (await ctx.loaders.eventById.load(session.eventId))!.venueId;
    const row = venueId ? await ctx.loaders.venueById.load(venueId) : null;
    return row ? toVenue(row) : null;
  }
}
