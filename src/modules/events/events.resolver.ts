import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { liveHint } from "../../cache/cache-hints.js";
import { canSeeEvent, requireAdmin } from "../../auth/guards.js";
import { actorLabel } from "../../auth/viewer.js";
import { badUserInput } from "../../common/errors.js";
import { formatMoney } from "../../common/money.js";
import { toPayload } from "../../common/payload.js";
import { DateScalar } from "../../common/scalars.js";
import { instantToLocalDate } from "../../common/time.js";
import type { Context } from "../../context.js";
import { Venue, toVenue } from "../venues/venues.type.js";
import { accessOpensAt, isRegistrationOpen, seatsRemaining, type EventRow } from "./event-rules.js";
import { EventFilter, EventInput, EventPartnerInput } from "./events.inputs.js";
import { EventPayload } from "./events.payloads.js";
import { cancelEvent, createEvent, findEventBySlug, listEvents, publishEvent, setEventPartners, updateEvent } from "./events.service.js";
import { creditDesignationOf } from "../attendance/attendance-rules.js";
import { Contact, CreditDesignation, EligibilityCriterion, Event, EventConnection, EventPartner, LearningObjective, Money, PaymentInstructions, PrerequisiteCourse, Session } from "./events.type.js";
import type { PartnerRole } from "../../common/enums.js";

@Resolver(() => Event)
export class EventResolver {
  @Query(() => EventConnection, { description: "Events in start order. Anonymous callers and partners see published, cancelled and completed events; admins also drafts." })
  async events(
    @Ctx() ctx: Context,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20, description: "Page size, at most 100." }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Arg("filter", () => EventFilter, { nullable: true }) filter: EventFilter | null,
  ) {
    const connection = await listEvents(ctx.deps.db, { filter, first, after, includeDrafts: ctx.viewer.role === "ADMIN" });
    for (const edge of connection.edges) ctx.loaders.primeEvent(edge.node);
    return connection;
  }

  @Query(() => Event, { nullable: true, description: "One event by id or slug (exactly one of them)." })
  async event(
    @Ctx() ctx: Context,
    @Arg("id", () => ID, { nullable: true }) id: string | null,
    @Arg("slug", () => String, { nullable: true }) slug: string | null,
  ): Promise<EventRow | null> {
    if ((id == null) === (slug == null)) throw badUserInput("Give exactly one of `id` and `slug`.");
    let event: EventRow | null;
    if (id != null) event = await ctx.loaders.eventById.load(id);
    else {
      event = (await findEventBySlug(ctx.deps.db, slug!)) ?? null;
      // Its sessions ask for their event (for the zone): no second read of the same row.
      if (event) ctx.loaders.primeEvent(event);
    }
    return event && canSeeEvent(ctx, event) ? event : null;
  }

  @FieldResolver(() => DateScalar, { description: "First day, in the event's time zone." })
  startDate(@Root() event: EventRow): string {
    return instantToLocalDate(event.startsAt, event.timeZone);
  }

  @FieldResolver(() => DateScalar, { description: "Last day, in the event's time zone." })
  endDate(@Root() event: EventRow): string {
    return instantToLocalDate(event.endsAt, event.timeZone);
  }

  @FieldResolver(() => Venue, { nullable: true })
  async venue(@Root() event: EventRow, @Ctx() ctx: Context): Promise<Venue | null> {
    const row = event.venueId ? await ctx.loaders.venueById.load(event.venueId) : null;
    return row ? toVenue(row) : null;
  }

  @FieldResolver(() => [Session])
  sessions(@Root() event: EventRow, @Ctx() ctx: Context) {
    return ctx.loaders.sessionsByEventId.load(event.id);
  }

  @FieldResolver(() => [EventPartner])
  async partners(@Root() event: EventRow, @Ctx() ctx: Context): Promise<EventPartner[]> {
    const partners = await ctx.loaders.partnersByEventId.load(event.id);
    const organisations = await Promise.all(partners.map((partner) => ctx.loaders.organisationById.load(partner.organisationId)));
    return partners.map((partner, index) => ({ organisation: organisations[index]!, roles: partner.roles as PartnerRole[], bookingUrl: partner.bookingUrl }));
  }

  @FieldResolver(() => [LearningObjective])
  learningObjectives(@Root() event: EventRow, @Ctx() ctx: Context) {
    return ctx.loaders.objectivesByEventId.load(event.id);
  }

  @FieldResolver(() => [EligibilityCriterion])
  eligibilityCriteria(@Root() event: EventRow, @Ctx() ctx: Context) {
    return ctx.loaders.criteriaByEventId.load(event.id);
  }

  @FieldResolver(() => PrerequisiteCourse, { nullable: true })
  async prerequisite(@Root() event: EventRow, @Ctx() ctx: Context): Promise<PrerequisiteCourse | null> {
    const course = await ctx.loaders.prerequisiteByEventId.load(event.id);
    if (!course) return null;
    return { ...course, accessOpensAt: accessOpensAt(event, course), completeBy: event.startsAt };
  }

  @FieldResolver(() => Money, { nullable: true, description: "Null when the event is free." })
  price(@Root() event: EventRow): Money | null {
    if (!event.priceMinor || !event.currency) return null;
    return { amountMinor: event.priceMinor, currency: event.currency, formatted: formatMoney(event.priceMinor, event.currency) };
  }

  @FieldResolver(() => Int, { nullable: true, description: "Capacity minus seats held (pending review, awaiting payment, confirmed); null when unlimited." })
  @Directive(liveHint)
  async seatsRemaining(@Root() event: EventRow, @Ctx() ctx: Context): Promise<number | null> {
    if (event.capacity === null) return null;
    return seatsRemaining(event, await ctx.loaders.seatsHeldByEventId.load(event.id));
  }

  @FieldResolver(() => Boolean, { description: "Whether `register` accepts applications now." })
  @Directive(liveHint)
  registrationOpen(@Root() event: EventRow, @Ctx() ctx: Context): boolean {
    return isRegistrationOpen(event, ctx.deps.clock.now());
  }

  @FieldResolver(() => CreditDesignation, { nullable: true })
  credit(@Root() event: EventRow): CreditDesignation | null {
    return creditDesignationOf(event);
  }

  @FieldResolver(() => PaymentInstructions, { nullable: true, description: "Null when the event names no payment page or instructions." })
  payment(@Root() event: EventRow): PaymentInstructions | null {
    if (!event.paymentUrlTemplate && !event.paymentInstructions) return null;
    return { urlTemplate: event.paymentUrlTemplate, instructions: event.paymentInstructions };
  }

  @FieldResolver(() => Contact, { nullable: true })
  contact(@Root() event: EventRow): Contact | null {
    if (!event.contactName && !event.contactEmail && !event.contactPhone) return null;
    return { name: event.contactName, email: event.contactEmail, phone: event.contactPhone };
  }

  @Mutation(() => EventPayload, { description: "Admin. Creates a draft event; sessions are given in wall-clock time in the event's zone." })
  createEvent(@Ctx() ctx: Context, @Arg("input", () => EventInput) input: EventInput) {
    requireAdmin(ctx);
    return toPayload(async () => ({ event: await createEvent(ctx.deps, input) }));
  }

  @Mutation(() => EventPayload, { description: "Admin. Replaces the event's details; moving a session or the venue mails every active registrant." })
  updateEvent(@Ctx() ctx: Context, @Arg("id", () => ID) id: string, @Arg("input", () => EventInput) input: EventInput) {
    requireAdmin(ctx);
    return toPayload(async () => ({ event: await updateEvent(ctx.deps, id, input) }));
  }

  @Mutation(() => EventPayload, { description: "Admin. Makes a draft visible to everyone and open for registration (within its window)." })
  publishEvent(@Ctx() ctx: Context, @Arg("id", () => ID) id: string) {
    requireAdmin(ctx);
    return toPayload(async () => ({ event: await publishEvent(ctx.deps, id) }));
  }

  @Mutation(() => EventPayload, { description: "Admin. Cancels the event and every active registration, and tells each registrant." })
  cancelEvent(@Ctx() ctx: Context, @Arg("id", () => ID) id: string, @Arg("reason", () => String, { nullable: true }) reason: string | null) {
    requireAdmin(ctx);
    return toPayload(async () => ({ event: await cancelEvent(ctx.deps, id, reason, actorLabel(ctx.viewer)) }));
  }

  @Mutation(() => EventPayload, { description: "Admin. Replaces the event's partners and their roles." })
  setEventPartners(
    @Ctx() ctx: Context,
    @Arg("eventId", () => ID) eventId: string,
    @Arg("partners", () => [EventPartnerInput]) partners: EventPartnerInput[],
  ) {
    requireAdmin(ctx);
    return toPayload(async () => ({ event: await setEventPartners(ctx.deps, eventId, partners) }));
  }
}
