import { createHash } from "node:crypto";
import { and, asc, count, eq, gt, isNotNull, isNull, lte, sum } from "drizzle-orm";
import { hashToken, newToken } from "../../auth/tokens.js";
import type { Clock } from "../../common/clock.js";
import { DomainError, type UserErrorShape } from "../../common/errors.js";
import { newCheckInCode, newId, newReference, referencePrefixFor } from "../../common/ids.js";
import { formatMoney } from "../../common/money.js";
import { HOUR_MS } from "../../common/time.js";
import { forbiddenCharacter, InputChecker, limits, normalizeEmail } from "../../common/validate.js";
import { eligibilityCriteria, events, idempotencyKeys, payments, prerequisiteCourses, registrations } from "../../db/tables.js";
import { writeTransaction } from "../../db/write-transaction.js";
import type { Deps } from "../../deps.js";
import { deliveryRow, enqueueEmail, type OutboxMessage, type Writer } from "../../mail/outbox.js";
import { subjectFor } from "../../mail/subjects.js";
import { accessOpensAt, registrationClosedReason, type EventRow } from "../events/event-rules.js";
import { countSeatsHeld } from "../events/events.service.js";
import { startNewsletterOptIn } from "../newsletter/newsletter.service.js";
import { enqueueWebhooks } from "../webhooks/webhook-messages.js";
import type { RegistrationRow } from "./registration-access.js";
import { idempotencyRecordKey, openReplay, sealForReplay } from "./idempotency.js";
import { changeRow, recordChange } from "./registration-timeline.js";
import { inGroupCommit } from "./group-commit.js";
import { registerStatements, type RegisterStatements } from "./register-statements.js";
import type { RecordPaymentInput, RegisterInput, ReviewRegistrationInput } from "./registrations.inputs.js";

type Status = RegistrationRow["status"];
type EmailKindName = Parameters<typeof subjectFor>[0];
type EligibilityCriterionRow = typeof eligibilityCriteria.$inferSelect;

/** Idempotency keys are honoured for at least this long. */
export const IDEMPOTENCY_TTL_MS = 24 * HOUR_MS;

/** Where a registration came from: a partner's key attributes it to the partner. */
export interface RegistrationSource {
  organisationId: string;
  apiKeyId: string;
}

export interface RegisterResult {
  registration: RegistrationRow | null;
  manageToken: string | null;
  userErrors: UserErrorShape[];
}

/* ------------------------------------------------------------------ register */

/**
 * Takes an application for a place. Everything is validated before anything is written;
 * the event's rules, the duplicate check, the seat check and the insert run in one
 * synchronous IMMEDIATE transaction (a savepoint of one), so concurrent calls (in any number of processes) can
 * never hold more seats than exist, nor register for an event cancelled meanwhile.
 */
export async function register(deps: Deps, input: RegisterInput, source: RegistrationSource | null, actor: string): Promise<RegisterResult> {
  const { db, clock } = deps;
  const clientKey = input.idempotencyKey ?? null;
  if (clientKey !== null && (clientKey.length === 0 || clientKey.length > limits.idempotencyKey)) {
    throw new DomainError(clientKey.length === 0 ? "INVALID" : "TOO_LONG", `idempotencyKey must be 1 to ${limits.idempotencyKey} characters.`, ["input", "idempotencyKey"]);
  }
  const keyProblem = clientKey === null ? null : forbiddenCharacter(clientKey, "single-line");
  if (keyProblem) throw new DomainError("INVALID", `idempotencyKey must be a single line of visible text; it contains ${keyProblem}.`, ["input", "idempotencyKey"]);
  // Keys are per caller: a partner's key cannot replay (and reveal) another caller's result.
  const idempotencyKey = clientKey === null ? null : `${source?.apiKeyId ?? "public"}:${clientKey}`;
  const requestHash = idempotencyKey === null ? null : hashRequest(input, source);
  if (idempotencyKey !== null) {
    const replay = replayIdempotent(db, clock.now(), idempotencyKey, requestHash!);
    if (replay) return replay;
  }

  const manageToken = newToken("manageToken");
  const manageTokenHash = hashToken(manageToken);
  const statements = registerStatements(db);
  // Everything that decides the outcome (the event's status, registration window, capacity,
  // price, review, waitlist and criteria) is read inside the write lock: another process may
  // cancel or change the event at any moment, and a decision on a copy read before BEGIN
  // would act on a state that no longer exists. The transaction is shared with the other
  // registrations of this turn of the event loop (group-commit.ts), each in its own savepoint.
  return inGroupCommit(
    db,
    (tx, reads) => {
      // Re-checked inside the write lock: a concurrent retry may have finished meanwhile.
      if (idempotencyKey !== null) {
        const replay = replayIdempotent(tx, clock.now(), idempotencyKey, requestHash!);
        if (replay) return replay;
      }
      // The event and its criteria, once per batch: no registration changes either.
      const event = reads.once(`event:${input.eventId}`, () => statements.eventById.get({ eventId: input.eventId }));
      if (!event || event.status === "DRAFT") throw new DomainError("NOT_FOUND", "No event has this id.", ["input", "eventId"]);
      const checked = checkRegistration(
        reads.once(`criteria:${event.id}`, () => statements.criteriaOfEvent.all({ eventId: event.id })),
        input,
      );
      const now = clock.now();
      const closed = registrationClosedReason(event, now);
      if (closed) throw new DomainError("REGISTRATION_CLOSED", closed, ["input", "eventId"]);
      const duplicate = statements.activeRegistrationOfEmail.get({ eventId: event.id, emailNormalized: checked.emailNormalized });
      if (duplicate) throw new DomainError("ALREADY_REGISTERED", "This email address is already registered for this event.", ["input", "attendee", "email"]);

      const hasSeat = event.capacity === null || statements.seatsHeld.get({ eventId: event.id })!.n < event.capacity;
      if (!hasSeat && !(event.waitlistEnabled && input.joinWaitlist !== false)) {
        throw new DomainError("EVENT_FULL", event.waitlistEnabled ? "This event is full." : "This event is full and has no waitlist.", ["input", "eventId"]);
      }
      const amountDueMinor = event.priceMinor ?? 0;
      const status: Status = hasSeat ? entryStatus(event, amountDueMinor) : "WAITLISTED";
      const id = newId("registration");
      const inserted = statements.insertRegistration.get({
        id,
        eventId: event.id,
        reference: uniqueReference(statements, event),
        status,
        ...checked.attendee,
        accessibilityNeeds: checked.accessibilityNeeds,
        sourceOrganisationId: source?.organisationId ?? null,
        sourceApiKeyId: source?.apiKeyId ?? null,
        manageTokenHash,
        amountDueMinor,
        currency: event.currency,
        waitlistedAtMs: status === "WAITLISTED" ? now.getTime() : null,
        createdAt: now,
        updatedAt: now,
      })!;
      for (const answer of checked.answers) statements.insertAnswer.run({ registrationId: id, ...answer });
      statements.insertChange.run(changeRow({ registrationId: id, at: now, actor, action: "REGISTERED", toStatus: status }));
      enqueueWebhooks(tx, now, "REGISTRATION_CREATED", { registration: inserted, event });
      if (status === "WAITLISTED") enqueueWebhooks(tx, now, "REGISTRATION_WAITLISTED", { registration: inserted, event });
      // No token in the payload: each email's manage link is minted when it is sent.
      let registration: RegistrationRow = inserted;
      if (status === "CONFIRMED") registration = enterConfirmed(tx, deps, inserted, event, now);
      else statements.insertEmail.run(deliveryRow(clock, mailFor(inserted, event, status === "WAITLISTED" ? "WAITLISTED" : "REGISTRATION_RECEIVED", "initial")));
      if (input.subscribeToNewsletter) {
        startNewsletterOptIn(tx, clock, { email: checked.attendee.email, firstName: checked.attendee.firstName, method: "REGISTRATION", source: source?.organisationId ?? event.slug });
      }
      if (idempotencyKey !== null) {
        const response = { manageToken: null, sealedManageToken: sealForReplay(idempotencyKey, requestHash!, manageToken), userErrors: [] };
        const record = { key: idempotencyRecordKey(idempotencyKey), requestHash: requestHash!, registrationId: id, response, createdAt: now, expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS) };
        tx.insert(idempotencyKeys)
          .values(record)
          // An expired record of the same key may still be there until the worker purges it.
          .onConflictDoUpdate({ target: idempotencyKeys.key, set: record })
          .run();
      }
      return { registration, manageToken, userErrors: [] };
    },
  );
}

/** The status a registration that got a seat starts in. */
function entryStatus(event: EventRow, amountDueMinor: number): Status {
  if (event.requiresReview) return "PENDING_REVIEW";
  return amountDueMinor === 0 ? "CONFIRMED" : "AWAITING_PAYMENT";
}

/** JSON with sorted keys, so the same input always hashes the same. */
function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined && item !== null).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function hashRequest(input: RegisterInput, source: RegistrationSource | null): string {
  const { idempotencyKey: _key, ...rest } = input;
  const request = { ...rest, eligibilityAnswers: rest.eligibilityAnswers ?? [], joinWaitlist: rest.joinWaitlist ?? true, subscribeToNewsletter: rest.subscribeToNewsletter ?? false, source: source?.organisationId };
  return createHash("sha256").update(canonicalJson(request)).digest("hex");
}

/** `key`: the caller-scoped raw key; it finds the record by its hash and opens the sealed token. */
function replayIdempotent(db: Writer, now: Date, key: string, requestHash: string): RegisterResult | null {
  const stored = db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.key, idempotencyRecordKey(key)), gt(idempotencyKeys.expiresAt, now))).get();
  if (!stored) return null;
  if (stored.requestHash !== requestHash) {
    throw new DomainError("IDEMPOTENCY_CONFLICT", "This idempotencyKey was already used with a different input.", ["input", "idempotencyKey"]);
  }
  const registration = stored.registrationId ? (db.select().from(registrations).where(eq(registrations.id, stored.registrationId)).get() ?? null) : null;
  const sealed = stored.response.sealedManageToken;
  return { registration, manageToken: sealed ? openReplay(key, requestHash, sealed) : null, userErrors: stored.response.userErrors as UserErrorShape[] };
}

function uniqueReference(statements: RegisterStatements, event: EventRow): string {
  const prefix = referencePrefixFor(event.slug);
  for (;;) {
    const reference = newReference(prefix);
    if (!statements.registrationWithReference.get({ reference })) return reference;
  }
}

/** `criteria`: the event's eligibility criteria, in order. */
function checkRegistration(criteria: EligibilityCriterionRow[], input: RegisterInput) {
  const check = new InputChecker();
  const at = (...path: (string | number)[]) => ["input", ...path.map(String)];
  const attendee = input.attendee;
  const email = attendee.email.trim();
  if (email.length > limits.email) check.add("TOO_LONG", `email must be at most ${limits.email} characters.`, at("attendee", "email"));
  const values = {
    firstName: check.requiredText(at("attendee", "firstName"), attendee.firstName, limits.name),
    lastName: check.requiredText(at("attendee", "lastName"), attendee.lastName, limits.name),
    email,
    emailNormalized: normalizeEmail(email),
    phone: check.phone(at("attendee", "phone"), attendee.phone),
    profession: attendee.profession,
    professionOther: check.text(at("attendee", "professionOther"), attendee.professionOther, limits.name, { required: attendee.profession === "OTHER" }),
    employer: check.text(at("attendee", "employer"), attendee.employer, limits.title),
    jobTitle: check.text(at("attendee", "jobTitle"), attendee.jobTitle, limits.title),
  };
  if (attendee.profession !== "OTHER") values.professionOther = null;
  const accessibilityNeeds = check.multilineText(at("accessibilityNeeds"), input.accessibilityNeeds, limits.note);

  const byId = new Map(criteria.map((criterion) => [criterion.id, criterion]));
  const answered = new Map<string, { met: boolean; details: string | null }>();
  // May be left out (or null) when the event has no criteria; a required criterion left unanswered is NOT_ELIGIBLE below.
  const answers = input.eligibilityAnswers ?? [];
  if (answers.length > criteria.length + 10) check.add("INVALID", "Too many eligibility answers.", at("eligibilityAnswers"));
  answers.slice(0, criteria.length + 10).forEach((answer, index) => {
    const criterion = byId.get(answer.criterionId);
    if (!criterion) return check.add("INVALID", "This criterion does not belong to the event.", at("eligibilityAnswers", index, "criterionId"));
    if (answered.has(criterion.id)) return check.add("INVALID", "Each criterion may be answered once.", at("eligibilityAnswers", index, "criterionId"));
    const details = check.multilineText(at("eligibilityAnswers", index, "details"), answer.details, limits.note);
    answered.set(criterion.id, { met: answer.met, details });
    if (criterion.required && !answer.met) {
      check.add("NOT_ELIGIBLE", `Criterion ${criterion.position} is required: ${criterion.text}`, at("eligibilityAnswers", index, "met"));
    }
  });
  for (const criterion of criteria) {
    if (criterion.required && !answered.has(criterion.id)) {
      check.add("NOT_ELIGIBLE", `Criterion ${criterion.position} is required and was not answered: ${criterion.text}`, at("eligibilityAnswers"));
    }
  }
  check.throwIfAny();
  return {
    attendee: values,
    emailNormalized: values.emailNormalized,
    accessibilityNeeds,
    answers: [...answered].map(([criterionId, answer]) => ({ criterionId, ...answer })),
  };
}

/* ------------------------------------------------------------ state changes */

function loadForChange(db: Writer, registrationId: string): { registration: RegistrationRow; event: EventRow } {
  const registration = db.select().from(registrations).where(eq(registrations.id, registrationId)).get();
  if (!registration) throw new DomainError("NOT_FOUND", "No registration has this id.", ["input", "registrationId"]);
  const event = db.select().from(events).where(eq(events.id, registration.eventId)).get()!;
  return { registration, event };
}

function mail(tx: Writer, clock: Clock, registration: RegistrationRow, event: EventRow, kind: EmailKindName, occasion: string, payload: Record<string, unknown> = {}): void {
  enqueueEmail(tx, clock, mailFor(registration, event, kind, occasion, payload));
}

function mailFor(registration: RegistrationRow, event: EventRow, kind: EmailKindName, occasion: string, payload: Record<string, unknown> = {}): OutboxMessage {
  return {
    kind,
    to: registration.email,
    subject: subjectFor(kind, { eventTitle: event.title, reference: registration.reference }),
    dedupeKey: `${registration.id}:${kind}:${occasion}`,
    registrationId: registration.id,
    payload,
  };
}

function setStatus(tx: Writer, registration: RegistrationRow, now: Date, changes: Partial<RegistrationRow>): RegistrationRow {
  return tx
    .update(registrations)
    .set({ ...changes, updatedAt: now })
    .where(eq(registrations.id, registration.id))
    .returning()
    .get()!;
}

export function amountPaidMinor(tx: Writer, registrationId: string): number {
  return Number(tx.select({ total: sum(payments.amountMinor) }).from(payments).where(eq(payments.registrationId, registrationId)).get()?.total ?? 0);
}

/**
 * A registration becomes CONFIRMED: the booking email, and access to the prerequisite
 * course (granted now when its opening has passed, else scheduled for the scheduler).
 */
function enterConfirmed(tx: Writer, deps: Deps, registration: RegistrationRow, event: EventRow, now: Date, payload: Record<string, unknown> = {}): RegistrationRow {
  // The check-in code is kept once given: a QR code already mailed stays valid.
  const confirmed = setStatus(tx, registration, now, { status: "CONFIRMED", offerExpiresAt: null, checkInCode: registration.checkInCode ?? newCheckInCode() });
  mail(tx, deps.clock, confirmed, event, "BOOKING_CONFIRMED", "initial", payload);
  enqueueWebhooks(tx, now, "REGISTRATION_CONFIRMED", { registration: confirmed, event });
  const prerequisite = tx.select().from(prerequisiteCourses).where(eq(prerequisiteCourses.eventId, event.id)).get();
  if (!prerequisite || confirmed.accessGrantedAt) return confirmed;
  const opensAt = accessOpensAt(event, prerequisite);
  if (opensAt <= now) return grantAccess(tx, deps.clock, confirmed, event, now, "system", "ACCESS_GRANTED");
  return setStatus(tx, confirmed, now, { accessScheduledFor: opensAt, accessRevokedAt: null });
}

/** Opens the prerequisite course to the registrant and mails them the link. */
export function grantAccess(tx: Writer, clock: Clock, registration: RegistrationRow, event: EventRow, now: Date, actor: string, action: string): RegistrationRow {
  const granted = setStatus(tx, registration, now, { accessGrantedAt: now, accessRevokedAt: null });
  recordChange(tx, { registrationId: registration.id, at: now, actor, action, note: null });
  mail(tx, clock, granted, event, "ACCESS_GRANTED", "initial");
  enqueueWebhooks(tx, now, "COURSE_ACCESS_GRANTED", { registration: granted, event });
  return granted;
}

/**
 * Offers freed seats to the longest-waiting WAITLISTED registrations, in the caller's
 * transaction: after a cancellation or rejection, and when an event's capacity rises.
 * A promoted place is held for the event's offer window.
 */
export function promoteFromWaitlist(tx: Writer, deps: Deps, event: EventRow, now: Date): void {
  if (event.status !== "PUBLISHED") return;
  let free = event.capacity === null ? Number.POSITIVE_INFINITY : event.capacity - countSeatsHeld(tx, event.id);
  while (free > 0) {
    const next = tx
      .select()
      .from(registrations)
      // waitlistedAt IS NOT NULL: the condition of registrations_waitlist_idx, which is in this order.
      .where(and(eq(registrations.eventId, event.id), eq(registrations.status, "WAITLISTED"), isNotNull(registrations.waitlistedAt)))
      .orderBy(asc(registrations.waitlistedAt), asc(registrations.id))
      .limit(1)
      .get();
    if (!next) return;
    // From what is still due, not the price: a place paid while waiting (possible before
    // recordPayment refused waitlisted registrations) is confirmed, not offered for payment
    // again, where it could take no payment and its offer would lapse into a cancellation.
    const stillDue = Math.max(0, next.amountDueMinor - amountPaidMinor(tx, next.id));
    const status = entryStatus(event, stillDue);
    const holdsOffer = status !== "CONFIRMED";
    const offered = setStatus(tx, next, now, {
      status: holdsOffer ? status : next.status,
      waitlistedAt: null,
      offerExpiresAt: holdsOffer ? new Date(now.getTime() + event.offerWindowHours * HOUR_MS) : null,
    });
    recordChange(tx, { registrationId: next.id, at: now, actor: "system", action: "PROMOTED", fromStatus: "WAITLISTED", toStatus: status });
    mail(tx, deps.clock, offered, event, "WAITLIST_PLACE_OFFERED", String(now.getTime()));
    enqueueWebhooks(tx, now, "WAITLIST_OFFER_MADE", { registration: offered, event });
    // A free (or already paid) place without review needs nothing from the registrant: it is theirs.
    if (!holdsOffer) enterConfirmed(tx, deps, offered, event, now);
    free--;
  }
}

export function reviewRegistration(deps: Deps, input: ReviewRegistrationInput, actor: string): RegistrationRow {
  const check = new InputChecker();
  const note = check.multilineText(["input", "note"], input.note, limits.note);
  check.throwIfAny();
  return writeTransaction(
    deps.db,
    (tx) => {
      const { registration, event } = loadForChange(tx, input.registrationId);
      if (registration.status !== "PENDING_REVIEW") {
        throw new DomainError("INVALID_STATE", `Only a registration pending review can be reviewed; this one is ${registration.status}.`, ["input", "registrationId"]);
      }
      const now = deps.clock.now();
      if (input.decision === "REJECT") {
        const rejected = setStatus(tx, registration, now, { status: "REJECTED", reviewNote: note, offerExpiresAt: null });
        recordChange(tx, { registrationId: registration.id, at: now, actor, action: "REJECTED", fromStatus: "PENDING_REVIEW", toStatus: "REJECTED", note });
        mail(tx, deps.clock, rejected, event, "APPLICATION_REJECTED", "initial", { note });
        enqueueWebhooks(tx, now, "REGISTRATION_REJECTED", { registration: rejected, event });
        promoteFromWaitlist(tx, deps, event, now);
        return rejected;
      }
      const paidInFull = amountPaidMinor(tx, registration.id) >= registration.amountDueMinor;
      const approved = setStatus(tx, registration, now, { status: "AWAITING_PAYMENT", reviewNote: note, offerExpiresAt: null });
      const toStatus = paidInFull ? "CONFIRMED" : "AWAITING_PAYMENT";
      recordChange(tx, { registrationId: registration.id, at: now, actor, action: "APPROVED", fromStatus: "PENDING_REVIEW", toStatus, note });
      enqueueWebhooks(tx, now, "REGISTRATION_APPROVED", { registration: approved, event });
      if (paidInFull) return enterConfirmed(tx, deps, approved, event, now);
      mail(tx, deps.clock, approved, event, "APPLICATION_APPROVED", "initial", { note });
      return approved;
    },
  );
}

/**
 * Adds a payment. A reference names the payment at its source (a partner's charge id): the
 * same (registration, reference) again is the same payment, answered with the registration
 * as it is, so a partner's retried call never pays twice. Nothing beyond the amount due is
 * taken (OVERPAYMENT), and nothing while on the waitlist (INVALID_STATE). Each payment
 * mails the registrant a receipt.
 */
export function recordPayment(deps: Deps, input: RecordPaymentInput, actor: string): RegistrationRow {
  const check = new InputChecker();
  const method = check.requiredText(["input", "method"], input.method, 50);
  const reference = check.text(["input", "reference"], input.reference, limits.name);
  if (!Number.isInteger(input.amountMinor) || input.amountMinor <= 0) check.add("INVALID", "amountMinor must be a positive whole number of minor units.", ["input", "amountMinor"]);
  const currency = check.requiredText(["input", "currency"], input.currency, 3).toUpperCase();
  const now = deps.clock.now();
  const receivedAt = input.receivedAt ?? now;
  if (receivedAt.getTime() > now.getTime() + 5 * 60_000) check.add("INVALID", "receivedAt cannot be in the future.", ["input", "receivedAt"]);
  check.throwIfAny();
  return writeTransaction(
    deps.db,
    (tx) => {
      const { registration, event } = loadForChange(tx, input.registrationId);
      if (reference !== null) {
        const same = tx.select().from(payments).where(and(eq(payments.registrationId, registration.id), eq(payments.reference, reference))).get();
        if (same) {
          if (same.amountMinor !== input.amountMinor || same.currency !== currency) {
            throw new DomainError("IDEMPOTENCY_CONFLICT", `A payment with reference "${reference}" of ${formatMoney(same.amountMinor, same.currency)} is already recorded for this registration.`, ["input", "reference"]);
          }
          return registration;
        }
      }
      if (registration.status === "CANCELLED" || registration.status === "REJECTED") {
        throw new DomainError("INVALID_STATE", `A ${registration.status.toLowerCase()} registration cannot take payments.`, ["input", "registrationId"]);
      }
      // A waitlisted registration holds no seat: taking its money would charge for a place it may never get.
      if (registration.status === "WAITLISTED") {
        throw new DomainError("INVALID_STATE", "This registration is on the waitlist: nothing is due until a place is offered.", ["input", "registrationId"]);
      }
      if (registration.amountDueMinor === 0 || !registration.currency) throw new DomainError("INVALID_STATE", "This registration has nothing to pay.", ["input", "registrationId"]);
      if (currency !== registration.currency) {
        throw new DomainError("INVALID", `This registration is paid in ${registration.currency}, not ${currency}.`, ["input", "currency"]);
      }
      const paidBefore = amountPaidMinor(tx, registration.id);
      const remaining = registration.amountDueMinor - paidBefore;
      if (input.amountMinor > remaining) {
        throw new DomainError(
          "OVERPAYMENT",
          remaining <= 0
            ? "This registration is already paid in full."
            : `Only ${formatMoney(remaining, currency)} remains due; ${formatMoney(input.amountMinor, currency)} would be more than that.`,
          ["input", "amountMinor"],
        );
      }
      const paymentId = newId("payment");
      const payment = tx.insert(payments).values({ id: paymentId, registrationId: registration.id, amountMinor: input.amountMinor, currency, method, reference, receivedAt, createdAt: now }).returning().get();
      const paid = paidBefore + input.amountMinor;
      recordChange(tx, { registrationId: registration.id, at: now, actor, action: "PAYMENT_RECORDED", note: `${formatMoney(input.amountMinor, currency)} by ${method}${reference ? ` (${reference})` : ""}; paid ${formatMoney(paid, currency)} of ${formatMoney(registration.amountDueMinor, currency)}` });
      // The receipt's figures are those of this payment's moment, whatever is paid later.
      mail(tx, deps.clock, registration, event, "PAYMENT_RECEIVED", paymentId, {
        amount: formatMoney(input.amountMinor, currency),
        method,
        reference,
        paidSoFar: formatMoney(paid, currency),
        remaining: formatMoney(registration.amountDueMinor - paid, currency),
        paidInFull: paid >= registration.amountDueMinor,
      });
      const touched = setStatus(tx, registration, now, {});
      enqueueWebhooks(tx, now, "PAYMENT_RECORDED", { registration: touched, event, payment });
      if (registration.status === "AWAITING_PAYMENT" && paid >= registration.amountDueMinor) {
        recordChange(tx, { registrationId: registration.id, at: now, actor, action: "PAID_IN_FULL", fromStatus: "AWAITING_PAYMENT", toStatus: "CONFIRMED" });
        return enterConfirmed(tx, deps, touched, event, now);
      }
      return touched;
    },
  );
}

const cancellable: Status[] = ["PENDING_REVIEW", "AWAITING_PAYMENT", "CONFIRMED", "WAITLISTED"];

/** Cancels, revokes prerequisite access, and offers the freed seat to the waitlist. */
export function cancelRegistration(deps: Deps, registrationId: string, reason: string | null | undefined, actor: string, action = "CANCELLED"): RegistrationRow {
  const check = new InputChecker();
  const cleanReason = check.multilineText(["input", "reason"], reason, limits.note);
  check.throwIfAny();
  return writeTransaction(deps.db, (tx) => cancelInTransaction(tx, deps, registrationId, cleanReason, actor, action));
}

function cancelInTransaction(tx: Writer, deps: Deps, registrationId: string, reason: string | null, actor: string, action: string): RegistrationRow {
  const { registration, event } = loadForChange(tx, registrationId);
  if (!cancellable.includes(registration.status)) {
    throw new DomainError("INVALID_STATE", `This registration is already ${registration.status.toLowerCase()}.`, ["input", "registrationId"]);
  }
  const now = deps.clock.now();
  const cancelled = setStatus(tx, registration, now, {
    status: "CANCELLED",
    cancelledAt: now,
    cancelReason: reason,
    waitlistedAt: null,
    offerExpiresAt: null,
    accessScheduledFor: null,
    accessRevokedAt: registration.accessGrantedAt ? now : null,
  });
  recordChange(tx, { registrationId, at: now, actor, action, fromStatus: registration.status, toStatus: "CANCELLED", note: reason });
  mail(tx, deps.clock, cancelled, event, "REGISTRATION_CANCELLED", "initial", { reason, lapsed: action === "OFFER_LAPSED" });
  if (action === "OFFER_LAPSED") enqueueWebhooks(tx, now, "WAITLIST_OFFER_EXPIRED", { registration: cancelled, event });
  enqueueWebhooks(tx, now, "REGISTRATION_CANCELLED", { registration: cancelled, event });
  if (registration.status !== "WAITLISTED") promoteFromWaitlist(tx, deps, event, now);
  return cancelled;
}

/**
 * A place offered from the waitlist that was neither approved nor paid within the offer
 * window passes to the next in line. Safe to run any number of times.
 */
export function lapseExpiredOffers(deps: Deps): number {
  const now = deps.clock.now();
  // Only offers carry offerExpiresAt: the partial registrations_offer_expiry_idx holds just
  // them. The status is checked here, not in SQL, where it would lead the planner to read
  // every registration in those statuses instead.
  const due = deps.db
    .select({ id: registrations.id, status: registrations.status })
    .from(registrations)
    .where(lte(registrations.offerExpiresAt, now))
    .all()
    .filter((row) => row.status === "PENDING_REVIEW" || row.status === "AWAITING_PAYMENT");
  let lapsed = 0;
  for (const { id } of due) {
    writeTransaction(
      deps.db,
      (tx) => {
        const current = tx.select().from(registrations).where(eq(registrations.id, id)).get();
        // Another run, a payment or an approval may have got here first.
        if (!current?.offerExpiresAt || current.offerExpiresAt > now || !["PENDING_REVIEW", "AWAITING_PAYMENT"].includes(current.status)) return;
        cancelInTransaction(tx, deps, id, "The offered place was not taken up in time.", "system", "OFFER_LAPSED");
        lapsed++;
      },
    );
  }
  return lapsed;
}

export function markPrerequisiteCompleted(deps: Deps, registrationId: string, completedAt: Date | null | undefined, actor: string): RegistrationRow {
  const now = deps.clock.now();
  const at = completedAt ?? now;
  if (at.getTime() > now.getTime() + 5 * 60_000) throw new DomainError("INVALID", "completedAt cannot be in the future.", ["completedAt"]);
  return writeTransaction(
    deps.db,
    (tx) => {
      const { registration } = loadForChange(tx, registrationId);
      if (registration.status === "CANCELLED" || registration.status === "REJECTED") {
        throw new DomainError("INVALID_STATE", `This registration is ${registration.status.toLowerCase()}.`, ["registrationId"]);
      }
      recordChange(tx, { registrationId, at: now, actor, action: "PREREQUISITE_COMPLETED", note: at.toISOString() });
      return setStatus(tx, registration, now, { prerequisiteCompletedAt: at });
    },
  );
}

/**
 * The registrant asks for the prerequisite course before it opens; the event's contact is
 * told. One request stays pending per registration: asking again while it is answers
 * with the registration as it is and mails nobody, so repeated clicks cannot flood the contact.
 */
export function requestEarlyAccess(deps: Deps, registrationId: string, reason: string, actor: string): RegistrationRow {
  const check = new InputChecker();
  const cleanReason = check.requiredMultilineText(["input", "reason"], reason, limits.note);
  check.throwIfAny();
  return writeTransaction(
    deps.db,
    (tx) => {
      const { registration, event } = loadForChange(tx, registrationId);
      if (registration.status === "WAITLISTED") throw new DomainError("INVALID_STATE", "A place on the waitlist holds no seat yet: early access can be asked for once a place is offered.", ["input", "registrationId"]);
      if (!cancellable.includes(registration.status)) throw new DomainError("INVALID_STATE", `This registration is ${registration.status.toLowerCase()}.`, ["input", "registrationId"]);
      if (registration.accessGrantedAt && !registration.accessRevokedAt) throw new DomainError("INVALID_STATE", "Access to the online course is already granted.", ["input", "registrationId"]);
      const prerequisite = tx.select().from(prerequisiteCourses).where(eq(prerequisiteCourses.eventId, event.id)).get();
      if (!prerequisite) throw new DomainError("INVALID_STATE", "This event has no prerequisite course.", ["input", "registrationId"]);
      if (registration.earlyAccessRequestedAt) return registration;
      const now = deps.clock.now();
      const updated = setStatus(tx, registration, now, { earlyAccessRequestedAt: now, earlyAccessReason: cleanReason });
      recordChange(tx, { registrationId, at: now, actor, action: "EARLY_ACCESS_REQUESTED", note: cleanReason });
      enqueueEmail(tx, deps.clock, {
        kind: "EARLY_ACCESS_REQUESTED",
        to: event.contactEmail ?? deps.config.mailFrom.replace(/^.*<([^>]+)>.*$/, "$1"),
        subject: subjectFor("EARLY_ACCESS_REQUESTED", { eventTitle: event.title, reference: registration.reference }),
        dedupeKey: `${registrationId}:EARLY_ACCESS_REQUESTED:${now.getTime()}`,
        registrationId,
        payload: { reason: cleanReason },
      });
      return updated;
    },
  );
}

/** An admin opens the prerequisite course now; only for places paid in full. */
export function grantEarlyAccess(deps: Deps, registrationId: string, actor: string): RegistrationRow {
  return writeTransaction(
    deps.db,
    (tx) => {
      const { registration, event } = loadForChange(tx, registrationId);
      if (registration.status !== "CONFIRMED" || amountPaidMinor(tx, registrationId) < registration.amountDueMinor) {
        throw new DomainError("INVALID_STATE", "Access can only be granted once the place is paid in full.", ["registrationId"]);
      }
      if (registration.accessGrantedAt && !registration.accessRevokedAt) throw new DomainError("INVALID_STATE", "Access is already granted.", ["registrationId"]);
      return grantAccess(tx, deps.clock, registration, event, deps.clock.now(), actor, "EARLY_ACCESS_GRANTED");
    },
  );
}

/** Grants every scheduled access whose time has come. Idempotent. */
export function grantDueAccess(deps: Deps): number {
  const now = deps.clock.now();
  // Scheduled and not yet granted: what the partial registrations_access_due_idx holds. The
  // status is checked here, not in SQL (see lapseExpiredOffers).
  const due = deps.db
    .select({ id: registrations.id, status: registrations.status })
    .from(registrations)
    .where(and(lte(registrations.accessScheduledFor, now), isNull(registrations.accessGrantedAt)))
    .all()
    .filter((row) => row.status === "CONFIRMED");
  let granted = 0;
  for (const { id } of due) {
    writeTransaction(
      deps.db,
      (tx) => {
        const current = tx.select().from(registrations).where(eq(registrations.id, id)).get();
        if (!current || current.status !== "CONFIRMED" || current.accessGrantedAt || !current.accessScheduledFor || current.accessScheduledFor > now) return;
        const event = tx.select().from(events).where(eq(events.id, current.eventId)).get()!;
        grantAccess(tx, deps.clock, current, event, now, "system", "ACCESS_GRANTED");
        granted++;
      },
    );
  }
  return granted;
}

/** Drops idempotency records past their time. */
export function purgeExpiredIdempotencyKeys(deps: Deps): number {
  return deps.db.delete(idempotencyKeys).where(lte(idempotencyKeys.expiresAt, deps.clock.now())).run().changes;
}

export function countRegistrations(db: Writer, eventId: string): number {
  return db.select({ n: count() }).from(registrations).where(eq(registrations.eventId, eventId)).get()!.n;
}
