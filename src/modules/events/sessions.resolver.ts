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
  private async zone(session: SessionRow, ctx: Context): Promise<string> {
    return (await ctx.loaders.eventById.load(session.eventId))!.timeZone;
  }

  @FieldResolver(() => Event)
  async event(@Root() session: SessionRow, @Ctx() ctx: Context) {
    return (await ctx.loaders.eventById.load(session.eventId))!;
  }

  @FieldResolver(() => LocalDateTimeScalar, { description: "Wall-clock start in timeZone, e.g. 2023-10-04T08:30." })
  async localStart(@Root() session: SessionRow, @Ctx() ctx: Context): Promise<string> {
    return instantToLocal(session.startsAt, await this.zone(session, ctx));
  }

  @FieldResolver(() => LocalDateTimeScalar)
  async localEnd(@Root() session: SessionRow, @Ctx() ctx: Context): Promise<string> {
    return instantToLocal(session.endsAt, await this.zone(session, ctx));
  }

  @FieldResolver(() => TimeZoneScalar)
  timeZone(@Root() session: SessionRow, @Ctx() ctx: Context): Promise<string> {
    return this.zone(session, ctx);
  }

  @FieldResolver(() => String, { description: "Abbreviation in force at startsAt, e.g. PDT." })
  async timeZoneAbbreviation(@Root() session: SessionRow, @Ctx() ctx: Context): Promise<string> {
    return zoneAbbreviation(session.startsAt, await this.zone(session, ctx));
  }

  @FieldResolver(() => String, { description: "Offset in force at startsAt, e.g. -07:00." })
  async utcOffset(@Root() session: SessionRow, @Ctx() ctx: Context): Promise<string> {
    return utcOffset(session.startsAt, await this.zone(session, ctx));
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
