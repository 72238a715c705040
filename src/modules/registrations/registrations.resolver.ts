import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { requireAdmin } from "../../auth/guards.js";
import { enforceRateLimit } from "../../auth/rate-limit.js";
import { actorLabel } from "../../auth/viewer.js";
import { badUserInput, DomainError, forbidden, unauthenticated } from "../../common/errors.js";
import { AccessGrantStatus, RegistrationStatus } from "../../common/enums.js";
import { formatMoney } from "../../common/money.js";
import { toPayload } from "../../common/payload.js";
import { DateTimeScalar, URLScalar } from "../../common/scalars.js";
import { paymentUrlFor } from "./payment-link.js";
import type { Context } from "../../context.js";
import { EmailDelivery } from "../emails/emails.type.js";
import type { EmailDeliveryRow } from "../emails/emails.access.js";
import { Event, type Money } from "../events/events.type.js";
import type { EventRow } from "../events/event-rules.js";
import { Organisation } from "../organisations/organisations.type.js";
import { assertMayRecordPayment, canSeeRegistration, loadVisibleRegistration, registrationScope, type RegistrationRow } from "./registration-access.js";
import { CancelRegistrationInput, RecordPaymentInput, RegisterInput, RequestEarlyAccessInput, ReviewRegistrationInput } from "./registrations.inputs.js";
import { findRegistrationByReference, listRegistrations } from "./registrations.query.js";
import {
  cancelRegistration,
  grantEarlyAccess,
  markPrerequisiteCompleted,
  recordPayment,
  register,
  requestEarlyAccess,
  reviewRegistration,
} from "./registrations.service.js";
import {
  AccessGrant,
  Attendee,
  EligibilityAnswer,
  PaymentSummary,
  RegisterPayload,
  Registration,
  RegistrationChange,
  RegistrationConnection,
  RegistrationPayload,
} from "./registrations.type.js";

function money(amountMinor: number, currency: string | null): Money {
  const code = currency ?? "USD";
  return { amountMinor, currency: code, formatted: formatMoney(amountMinor, code) };
}

/**
 * Loads a registration a mutation acts on. Callers without credentials are told so;
 * a registration the caller may not see is reported exactly like a missing one.
 */
async function registrationForMutation(ctx: Context, id: string, field: string[]): Promise<RegistrationRow> {
  if (ctx.viewer.role === "ANONYMOUS") throw unauthenticated();
  const registration = await loadVisibleRegistration(ctx, id);
  if (!registration) throw new DomainError("NOT_FOUND", "No registration has this id.", field);
  return registration;
}

@Resolver(() => Registration)
export class RegistrationResolver {
  @Query(() => Registration, { nullable: true, description: "Admins, the event's partners, or the registrant. By id or reference (exactly one)." })
  async registration(
    @Ctx() ctx: Context,
    @Arg("id", () => ID, { nullable: true }) id: string | null,
    @Arg("reference", () => String, { nullable: true }) reference: string | null,
  ): Promise<RegistrationRow | null> {
    if ((id == null) === (reference == null)) throw badUserInput("Give exactly one of `id` and `reference`.");
    if (ctx.viewer.role === "ANONYMOUS") throw unauthenticated();
    if (id != null) return loadVisibleRegistration(ctx, id);
    const row = reference!.length <= 40 ? await findRegistrationByReference(ctx.deps.db, reference!) : undefined;
    return row && (await canSeeRegistration(ctx, row)) ? row : null;
  }

  @Query(() => RegistrationConnection, { description: "Admins (all) and partners with a secret key (their events); registrants see their own." })
  registrations(
    @Ctx() ctx: Context,
    @Arg("eventId", () => ID, { nullable: true }) eventId: string | null,
    @Arg("status", () => [RegistrationStatus], { nullable: true }) status: RegistrationStatus[] | null,
    @Arg("search", () => String, { nullable: true, description: "Part of the name, email or reference." }) search: string | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ) {
    return listRegistrations(ctx.deps.db, { scope: registrationScope(ctx), eventId, status, search, first, after });
  }

  @Query(() => [Registration], { description: "The signed-in registrant's own registrations, newest first." })
  async myRegistrations(@Ctx() ctx: Context) {
    if (ctx.viewer.role !== "REGISTRANT") {
      throw ctx.viewer.role === "ANONYMOUS" ? unauthenticated("Sign in with the link from your email first.") : forbidden("Only registrants have registrations of their own.");
    }
    return (await listRegistrations(ctx.deps.db, { scope: registrationScope(ctx), first: 100 })).edges.map((edge) => edge.node).reverse();
  }

  @Mutation(() => RegisterPayload, { description: "Public (and partner publishable keys): apply for a place." })
  register(@Ctx() ctx: Context, @Arg("input", () => RegisterInput) input: RegisterInput) {
    const viewer = ctx.viewer;
    const source = viewer.role === "PARTNER" ? { organisationId: viewer.organisationId, apiKeyId: viewer.apiKeyId } : null;
    return toPayload(async () => {
      await enforceRateLimit(ctx, "register", input.attendee.email);
      return register(ctx.deps, input, source, actorLabel(viewer));
    });
  }

  @Mutation(() => RegistrationPayload, { description: "Registrant (manage token or sign-in), partner (own registrations) or admin." })
  async cancelRegistration(@Ctx() ctx: Context, @Arg("input", () => CancelRegistrationInput) input: CancelRegistrationInput) {
    return toPayload(async () => {
      await registrationForMutation(ctx, input.registrationId, ["input", "registrationId"]);
      return { registration: await cancelRegistration(ctx.deps, input.registrationId, input.reason, actorLabel(ctx.viewer)) };
    });
  }

  @Mutation(() => RegistrationPayload, { description: "Registrant: ask for access to the prerequisite course earlier than scheduled." })
  async requestEarlyAccess(@Ctx() ctx: Context, @Arg("input", () => RequestEarlyAccessInput) input: RequestEarlyAccessInput) {
    if (ctx.viewer.role === "PARTNER") throw forbidden("Only the registrant (or an admin) may ask for early access.");
    return toPayload(async () => {
      const registration = await registrationForMutation(ctx, input.registrationId, ["input", "registrationId"]);
      await enforceRateLimit(ctx, "requestEarlyAccess", registration.email);
      return { registration: await requestEarlyAccess(ctx.deps, input.registrationId, input.reason, actorLabel(ctx.viewer)) };
    });
  }

  @Mutation(() => RegistrationPayload, { description: "Admin. APPROVE → AWAITING_PAYMENT (CONFIRMED when free or paid); REJECT → REJECTED, freeing the seat." })
  reviewRegistration(@Ctx() ctx: Context, @Arg("input", () => ReviewRegistrationInput) input: ReviewRegistrationInput) {
    requireAdmin(ctx);
    return toPayload(async () => ({ registration: await reviewRegistration(ctx.deps, input, actorLabel(ctx.viewer)) }));
  }

  @Mutation(() => RegistrationPayload, {
    description:
      "Admin, or the secret key of the event's HOST or BOOKING_PARTNER. Adds a payment; the same reference twice is one payment; more than is due is OVERPAYMENT; reaching the amount due confirms an AWAITING_PAYMENT registration. Each payment mails a receipt.",
  })
  recordPayment(@Ctx() ctx: Context, @Arg("input", () => RecordPaymentInput) input: RecordPaymentInput) {
    return toPayload(async () => {
      await assertMayRecordPayment(ctx, input.registrationId);
      return { registration: await recordPayment(ctx.deps, input, actorLabel(ctx.viewer)) };
    });
  }

  @Mutation(() => RegistrationPayload, { description: "Admin. Opens the prerequisite course now; only for places paid in full." })
  grantEarlyAccess(@Ctx() ctx: Context, @Arg("registrationId", () => ID) registrationId: string) {
    requireAdmin(ctx);
    return toPayload(async () => ({ registration: await grantEarlyAccess(ctx.deps, registrationId, actorLabel(ctx.viewer)) }));
  }

  @Mutation(() => RegistrationPayload, { description: "Admin. Records that the registrant completed the prerequisite course (default: now)." })
  markPrerequisiteCompleted(
    @Ctx() ctx: Context,
    @Arg("registrationId", () => ID) registrationId: string,
    @Arg("completedAt", () => DateTimeScalar, { nullable: true }) completedAt: Date | null,
  ) {
    requireAdmin(ctx);
    return toPayload(async () => ({ registration: await markPrerequisiteCompleted(ctx.deps, registrationId, completedAt, actorLabel(ctx.viewer)) }));
  }

  @FieldResolver(() => Event)
  async event(@Root() registration: RegistrationRow, @Ctx() ctx: Context): Promise<EventRow> {
    return (await ctx.loaders.eventById.load(registration.eventId))!;
  }

  @FieldResolver(() => Attendee)
  attendee(@Root() registration: RegistrationRow): Attendee {
    return registration as unknown as Attendee;
  }

  @FieldResolver(() => [EligibilityAnswer])
  async eligibilityAnswers(@Root() registration: RegistrationRow, @Ctx() ctx: Context): Promise<EligibilityAnswer[]> {
    const answers = await ctx.loaders.answersByRegistrationId.load(registration.id);
    const criteria = await Promise.all(answers.map((answer) => ctx.loaders.criterionById.load(answer.criterionId)));
    return answers
      .map((answer, index) => ({ criterion: criteria[index]!, met: answer.met, details: answer.details }))
      .sort((a, b) => a.criterion.position - b.criterion.position);
  }

  @FieldResolver(() => Organisation, { nullable: true, description: "The partner whose site or key the registration came through." })
  source(@Root() registration: RegistrationRow, @Ctx() ctx: Context) {
    return registration.sourceOrganisationId ? ctx.loaders.organisationById.load(registration.sourceOrganisationId) : null;
  }

  @FieldResolver(() => Int, { nullable: true, description: "1-based place in the queue while WAITLISTED." })
  async waitlistPosition(@Root() registration: RegistrationRow, @Ctx() ctx: Context): Promise<number | null> {
    if (registration.status !== "WAITLISTED") return null;
    return (await ctx.loaders.waitlistPositionByRegistrationId.load(registration.id)) || null;
  }

  @FieldResolver(() => PaymentSummary)
  async payment(@Root() registration: RegistrationRow, @Ctx() ctx: Context): Promise<PaymentSummary> {
    const payments = await ctx.loaders.paymentsByRegistrationId.load(registration.id);
    const paid = payments.reduce((total, payment) => total + payment.amountMinor, 0);
    return {
      amountDue: money(registration.amountDueMinor, registration.currency),
      amountPaid: money(paid, registration.currency),
      paidInFull: paid >= registration.amountDueMinor,
      payments: payments.map((payment) => ({ ...payment, amount: money(payment.amountMinor, payment.currency) })),
    };
  }

  @FieldResolver(() => URLScalar, { nullable: true, description: "The event's payment URL with this registration's reference filled in; null when paid in full or none is set." })
  async paymentUrl(@Root() registration: RegistrationRow, @Ctx() ctx: Context): Promise<string | null> {
    const event = await ctx.loaders.eventById.load(registration.eventId);
    if (!event?.paymentUrlTemplate) return null;
    const payments = await ctx.loaders.paymentsByRegistrationId.load(registration.id);
    return paymentUrlFor(event.paymentUrlTemplate, registration, payments.reduce((total, payment) => total + payment.amountMinor, 0));
  }

  @FieldResolver(() => AccessGrant, { description: "Access to the prerequisite online course." })
  accessGrant(@Root() registration: RegistrationRow): AccessGrant {
    const status = registration.accessRevokedAt
      ? AccessGrantStatus.REVOKED
      : registration.accessGrantedAt
        ? AccessGrantStatus.GRANTED
        : registration.accessScheduledFor
          ? AccessGrantStatus.SCHEDULED
          : AccessGrantStatus.NOT_ELIGIBLE;
    return {
      status,
      scheduledFor: registration.accessScheduledFor,
      grantedAt: registration.accessGrantedAt,
      earlyAccessRequestedAt: registration.earlyAccessRequestedAt,
      earlyAccessReason: registration.earlyAccessReason,
    };
  }

  @FieldResolver(() => [EmailDelivery], { description: "Admins only." })
  emails(@Root() registration: RegistrationRow, @Ctx() ctx: Context): Promise<EmailDeliveryRow[]> {
    requireAdmin(ctx);
    return ctx.loaders.emailsByRegistrationId.load(registration.id);
  }

  @FieldResolver(() => [RegistrationChange], { description: "Admins only. Every state change: who, when, from → to, note." })
  timeline(@Root() registration: RegistrationRow, @Ctx() ctx: Context) {
    requireAdmin(ctx);
    return ctx.loaders.changesByRegistrationId.load(registration.id);
  }
}
