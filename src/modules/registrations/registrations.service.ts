import { createHash } from "node:crypto";
import { and, asc, count, eq, gt, isNotNull, isNull, lte, sum } from "drizzle-orm";
import { hashToken, newToken } from "../../auth/tokens.js";
import type { Clock } from "../../common/clock.js";
import { DomainError, type UserErrorShape } from "../../common/errors.js";
import { newCheckInCode, newId, newReference, referencePrefixFor } from "../../common/ids.js";
import { formatMoney } from "../../common/money.js";
import { HOUR_MS } from "../../common/time.js";
import { forbiddenCharacter, InputChecker, limits, normalizeEmail } from "../../common/validate.js";
import type { Db, Reads, Tx } from "../../db/database.js";
import { eligibilityCriteria, idempotencyKeys, payments, prerequisiteCourses, registrations } from "../../db/tables.js";
import type { Deps } from "../../deps.js";
import { deliveryRow, enqueueEmail, type OutboxMessage } from "../../mail/outbox.js";
import { subjectFor } from "../../mail/subjects.js";
import { accessOpensAt, registrationClosedReason, type EventRow } from "../events/event-rules.js";
import { countSeatsHeld } from "../events/events.service.js";
import { startNewsletterOptIn } from "../newsletter/newsletter.service.js";
import { enqueueWebhooks } from "../webhooks/webhook-messages.js";
import type { RegistrationRow } from "./registration-access.js";
import { idempotencyRecordKey, openReplay, sealForReplay } from "./idempotency.js";
import { changeRow, recordChange } from "./registration-timeline.js";
import { inGroupCommit, type BatchReads } from "./group-commit.js";
import { answerValues, registerStatements, type RegisterStatements } from "./register-statements.js";
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
 * transaction that first locks the event (db.lockEvent; on SQLite the write lock taken at
 * BEGIN IMMEDIATE), so concurrent calls (in any number of processes) can never hold more
 * seats than exist, nor register for an event cancelled meanwhile.
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
  const idempotency = idempotencyKey === null ? null : { key: idempotencyKey, requestHash: requestHash! };
  if (idempotency) {
    const replay = await replayIdempotent(db, clock.now(), idempotency.key, idempotency.requestHash);
    if (replay) return replay;
  }

  const manageToken = newToken("manageToken");
  const manageTokenHash = hashToken(manageToken);
  const attempt = () =>
    // Everything that decides the outcome (the event's status, registration window, capacity,
    // price, review, waitlist and criteria) is read inside the transaction, after the event's
    // lock: another process may cancel or change the event at any moment, and a decision on a
    // copy read before would act on a state that no longer exists. On SQLite the transaction
    // is shared with the other registrations of this turn of the event loop
    // (group-commit.ts), each in its own savepoint.
    inGroupCommit(db, (tx, reads) => registerInTransaction(tx, reads, deps, input, source, actor, { manageToken, manageTokenHash }, idempotency));
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof IdempotencyKeyTaken) || !idempotency) throw error;
  }
  // Another process's registration filed the same key meanwhile (its record is committed:
  // our insert waited for it). Answer as a retry would: its result, or IDEMPOTENCY_CONFLICT.
  const replay = await replayIdempotent(db, clock.now(), idempotency.key, idempotency.requestHash);
  if (replay) return replay;
  // The record expired in between: the key is free again, so one more try.
  try {
    return await attempt();
  } catch (error) {
    if (error instanceof IdempotencyKeyTaken) throw new DomainError("IDEMPOTENCY_CONFLICT", "This idempotencyKey is being used by another request; try again.", ["input", "idempotencyKey"]);
    throw error;
  }
}

/** A live idempotency record of the key was written by another transaction: ours rolls back and answers with it. */
class IdempotencyKeyTaken extends Error {
  constructor() {
    super("The idempotency key's record was written by another transaction.");
    this.name = "IdempotencyKeyTaken";
  }
}

async function registerInTransaction(
  tx: Tx,
  reads: BatchReads,
  deps: Deps,
  input: RegisterInput,
  source: RegistrationSource | null,
  actor: string,
  token: { manageToken: string; manageTokenHash: string },
  idempotency: { key: string; requestHash: string } | null,
): Promise<RegisterResult> {
  const { db, clock } = deps;
  // First the event's lock (PostgreSQL: every seat-changing transaction of the event waits
  // here for the one before it). Once per batch on SQLite, where it only reads the row and
  // no registration changes it.
  const event = await reads.once(`event:${input.eventId}`, () => db.lockEvent(tx, input.eventId));
  // Re-checked under the lock: a concurrent retry may have finished meanwhile.
  if (idempotency) {
    const replay = await replayIdempotent(tx, clock.now(), idempotency.key, idempotency.requestHash);
    if (replay) return replay;
  }
  if (!event || event.status === "DRAFT") throw new DomainError("NOT_FOUND", "No event has this id.", ["input", "eventId"]);
  const statements = registerStatements(tx);
  // The criteria, once per batch: no registration changes them.
  const checked = checkRegistration(await reads.once(`criteria:${event.id}`, () => statements.criteriaOfEvent.all({ eventId: event.id })), input);
  const now = clock.now();
  const closed = registrationClosedReason(event, now);
  if (closed) throw new DomainError("REGISTRATION_CLOSED", closed, ["input", "eventId"]);
  const duplicate = await statements.activeRegistrationOfEmail.get({ eventId: event.id, emailNormalized: checked.emailNormalized });
  if (duplicate) throw new DomainError("ALREADY_REGISTERED", "This email address is already registered for this event.", ["input", "attendee", "email"]);

  const hasSeat = event.capacity === null || (await statements.seatsHeld.get({ eventId: event.id }))!.n < event.capacity;
  if (!hasSeat && !(event.waitlistEnabled && input.joinWaitlist !== false)) {
    throw new DomainError("EVENT_FULL", event.waitlistEnabled ? "This event is full." : "This event is full and has no waitlist.", ["input", "eventId"]);
  }
  const amountDueMinor = event.priceMinor ?? 0;
  const status: Status = hasSeat ? entryStatus(event, amountDueMinor) : "WAITLISTED";
  const id = newId("registration");
  const values = {
    id,
    eventId: event.id,
    reference: await uniqueReference(statements, event),
    status,
    ...checked.attendee,
    accessibilityNeeds: checked.accessibilityNeeds,
    sourceOrganisationId: source?.organisationId ?? null,
    sourceApiKeyId: source?.apiKeyId ?? null,
    manageTokenHash: token.manageTokenHash,
    amountDueMinor,
    currency: event.currency,
    createdAt: now,
    updatedAt: now,
  };
  const inserted = (status === "WAITLISTED" ? await statements.insertWaitlistedRegistration.get({ ...values, waitlistedAt: now }) : await statements.insertRegistration.get(values))!;
  if (checked.answers.length) await statements.insertAnswers(checked.answers.length).run(answerValues(id, checked.answers));
  await statements.insertChange.run(changeRow({ registrationId: id, at: now, actor, action: "REGISTERED", toStatus: status }));
  await enqueueWebhooks(tx, now, status === "WAITLISTED" ? ["REGISTRATION_CREATED", "REGISTRATION_WAITLISTED"] : "REGISTRATION_CREATED", { registration: inserted, event });
  // No token in the payload: each email's manage link is minted when it is sent.
  let registration: RegistrationRow = inserted;
  if (status === "CONFIRMED") registration = await enterConfirmed(tx, deps, inserted, event, now);
  else await statements.insertEmail.run(deliveryRow(clock, mailFor(inserted, event, status === "WAITLISTED" ? "WAITLISTED" : "REGISTRATION_RECEIVED", "initial")));
  if (input.subscribeToNewsletter) {
    await startNewsletterOptIn(tx, clock, { email: checked.attendee.email, firstName: checked.attendee.firstName, method: "REGISTRATION", source: source?.organisationId ?? event.slug });
  }
  if (idempotency) await fileIdempotencyRecord(tx, now, idempotency, id, token.manageToken);
  return { registration, manageToken: token.manageToken, userErrors: [] };
}

/**
 * Files the key's record with this registration. An expired record of the same key may
 * still be there until the worker purges it: that one is replaced. A live one is never
 * overwritten: it can only be another process's, whose transaction committed after our
 * replay check (PostgreSQL makes our insert wait for it on the unique key); then this
 * registration must not happen, and IdempotencyKeyTaken rolls it back.
 */
async function fileIdempotencyRecord(tx: Tx, now: Date, idempotency: { key: string; requestHash: string }, registrationId: string, manageToken: string): Promise<void> {
  const response = { manageToken: null, sealedManageToken: sealForReplay(idempotency.key, idempotency.requestHash, manageToken), userErrors: [] };
  const record = { key: idempotencyRecordKey(idempotency.key), requestHash: idempotency.requestHash, registrationId, response, createdAt: now, expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS) };
  const written = await tx
    .insert(idempotencyKeys)
    .values(record)
    // setWhere: the ON CONFLICT … DO UPDATE … WHERE of both dialects (the existing row's columns).
    .onConflictDoUpdate({ target: idempotencyKeys.key, set: record, setWhere: lte(idempotencyKeys.expiresAt, now) })
    .run();
  if (written.changes === 0) throw new IdempotencyKeyTaken();
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
async function replayIdempotent(db: Reads, now: Date, key: string, requestHash: string): Promise<RegisterResult | null> {
  const stored = await db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.key, idempotencyRecordKey(key)), gt(idempotencyKeys.expiresAt, now))).get();
  if (!stored) return null;
  if (stored.requestHash !== requestHash) {
    throw new DomainError("IDEMPOTENCY_CONFLICT", "This idempotencyKey was already used with a different input.", ["input", "idempotencyKey"]);
  }
  const registration = stored.registrationId ? ((await db.select().from(registrations).where(eq(registrations.id, stored.registrationId)).get()) ?? null) : null;
  const sealed = stored.response.sealedManageToken;
  return { registration, manageToken: sealed ? openReplay(key, requestHash, sealed) : null, userErrors: stored.response.userErrors as UserErrorShape[] };
}

async function uniqueReference(statements: RegisterStatements, event: EventRow): Promise<string> {
  const prefix = referencePrefixFor(event.slug);
  for (;;) {
    const reference = newReference(prefix);
    if (!(await statements.registrationWithReference.get({ reference }))) return reference;
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

/**
 * The registration a change acts on and its event, the event locked first (db.lockEvent):
 * the registration's event is read, its row locked, and only then the registration read,
 * since another transaction may have changed it while this one waited for the lock.
 */
async function loadForChange(db: Db, tx: Tx, registrationId: string): Promise<{ registration: RegistrationRow; event: EventRow }> {
  const notFound = () => new DomainError("NOT_FOUND", "No registration has this id.", ["input", "registrationId"]);
  const located = await tx.select({ eventId: registrations.eventId }).from(registrations).where(eq(registrations.id, registrationId)).get();
  if (!located) throw notFound();
  const event = (await db.lockEvent(tx, located.eventId))!;
  const registration = await tx.select().from(registrations).where(eq(registrations.id, registrationId)).get();
  if (!registration) throw notFound();
  return { registration, event };
}

async function mail(tx: Tx, clock: Clock, registration: RegistrationRow, event: EventRow, kind: EmailKindName, occasion: string, payload: Record<string, unknown> = {}): Promise<void> {
  await enqueueEmail(tx, clock, mailFor(registration, event, kind, occasion, payload));
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

async function setStatus(tx: Tx, registration: RegistrationRow, now: Date, changes: Partial<RegistrationRow>): Promise<RegistrationRow> {
  return (await tx
    .update(registrations)
    .set({ ...changes, updatedAt: now })
    .where(eq(registrations.id, registration.id))
    .returning()
    .get())!;
}

export async function amountPaidMinor(db: Reads, registrationId: string): Promise<number> {
  const row = await db.select({ total: sum(payments.amountMinor) }).from(payments).where(eq(payments.registrationId, registrationId)).get();
  return Number(row?.total ?? 0);
}

/**
 * A registration becomes CONFIRMED: the booking email, and access to the prerequisite
 * course (granted now when its opening has passed, else scheduled for the scheduler).
 */
async function enterConfirmed(tx: Tx, deps: Deps, registration: RegistrationRow, event: EventRow, now: Date, payload: Record<string, unknown> = {}): Promise<RegistrationRow> {
  // The check-in code is kept once given: a QR code already mailed stays valid.
  const confirmed = await setStatus(tx, registration, now, { status: "CONFIRMED", offerExpiresAt: null, checkInCode: registration.checkInCode ?? newCheckInCode() });
  await mail(tx, deps.clock, confirmed, event, "BOOKING_CONFIRMED", "initial", payload);
  await enqueueWebhooks(tx, now, "REGISTRATION_CONFIRMED", { registration: confirmed, event });
  const prerequisite = await tx.select().from(prerequisiteCourses).where(eq(prerequisiteCourses.eventId, event.id)).get();
  if (!prerequisite || confirmed.accessGrantedAt) return confirmed;
  const opensAt = accessOpensAt(event, prerequisite);
  if (opensAt <= now) return grantAccess(tx, deps.clock, confirmed, event, now, "system", "ACCESS_GRANTED");
  return setStatus(tx, confirmed, now, { accessScheduledFor: opensAt, accessRevokedAt: null });
}

/** Opens the prerequisite course to the registrant and mails them the link. In a transaction that locked `event`. */
export async function grantAccess(tx: Tx, clock: Clock, registration: RegistrationRow, event: EventRow, now: Date, actor: string, action: string): Promise<RegistrationRow> {
  const granted = await setStatus(tx, registration, now, { accessGrantedAt: now, accessRevokedAt: null });
  await recordChange(tx, { registrationId: registration.id, at: now, actor, action, note: null });
  await mail(tx, clock, granted, event, "ACCESS_GRANTED", "initial");
  await enqueueWebhooks(tx, now, "COURSE_ACCESS_GRANTED", { registration: granted, event });
  return granted;
}

/**
 * Offers freed seats to the longest-waiting WAITLISTED registrations, in the caller's
 * transaction: after a cancellation or rejection, and when an event's capacity rises.
 * The caller has locked the event (db.lockEvent) and passes the row it read then.
 * A promoted place is held for the event's offer window.
 */
export async function promoteFromWaitlist(tx: Tx, deps: Deps, event: EventRow, now: Date): Promise<void> {
  if (event.status !== "PUBLISHED") return;
  let free = event.capacity === null ? Number.POSITIVE_INFINITY : event.capacity - (await countSeatsHeld(tx, event.id));
  while (free > 0) {
    const next = await tx
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
    const stillDue = Math.max(0, next.amountDueMinor - (await amountPaidMinor(tx, next.id)));
    const status = entryStatus(event, stillDue);
    const holdsOffer = status !== "CONFIRMED";
    const offered = await setStatus(tx, next, now, {
      status: holdsOffer ? status : next.status,
      waitlistedAt: null,
      offerExpiresAt: holdsOffer ? new Date(now.getTime() + event.offerWindowHours * HOUR_MS) : null,
    });
    await recordChange(tx, { registrationId: next.id, at: now, actor: "system", action: "PROMOTED", fromStatus: "WAITLISTED", toStatus: status });
    await mail(tx, deps.clock, offered, event, "WAITLIST_PLACE_OFFERED", String(now.getTime()));
    await enqueueWebhooks(tx, now, "WAITLIST_OFFER_MADE", { registration: offered, event });
    // A free (or already paid) place without review needs nothing from the registrant: it is theirs.
    if (!holdsOffer) await enterConfirmed(tx, deps, offered, event, now);
    free--;
  }
}

export async function reviewRegistration(deps: Deps, input: ReviewRegistrationInput, actor: string): Promise<RegistrationRow> {
  const check = new InputChecker();
  const note = check.multilineText(["input", "note"], input.note, limits.note);
  check.throwIfAny();
  return deps.db.transaction(async (tx) => {
    const { registration, event } = await loadForChange(deps.db, tx, input.registrationId);
    if (registration.status !== "PENDING_REVIEW") {
      throw new DomainError("INVALID_STATE", `Only a registration pending review can be reviewed; this one is ${registration.status}.`, ["input", "registrationId"]);
    }
    const now = deps.clock.now();
    if (input.decision === "REJECT") {
      const rejected = await setStatus(tx, registration, now, { status: "REJECTED", reviewNote: note, offerExpiresAt: null });
      await recordChange(tx, { registrationId: registration.id, at: now, actor, action: "REJECTED", fromStatus: "PENDING_REVIEW", toStatus: "REJECTED", note });
      await mail(tx, deps.clock, rejected, event, "APPLICATION_REJECTED", "initial", { note });
      await enqueueWebhooks(tx, now, "REGISTRATION_REJECTED", { registration: rejected, event });
      await promoteFromWaitlist(tx, deps, event, now);
      return rejected;
    }
    const paidInFull = (await amountPaidMinor(tx, registration.id)) >= registration.amountDueMinor;
    const approved = await setStatus(tx, registration, now, { status: "AWAITING_PAYMENT", reviewNote: note, offerExpiresAt: null });
    const toStatus = paidInFull ? "CONFIRMED" : "AWAITING_PAYMENT";
    await recordChange(tx, { registrationId: registration.id, at: now, actor, action: "APPROVED", fromStatus: "PENDING_REVIEW", toStatus, note });
    await enqueueWebhooks(tx, now, "REGISTRATION_APPROVED", { registration: approved, event });
    if (paidInFull) return enterConfirmed(tx, deps, approved, event, now);
    await mail(tx, deps.clock, approved, event, "APPLICATION_APPROVED", "initial", { note });
    return approved;
  });
}

/**
 * Adds a payment. A reference names the payment at its source (a partner's charge id): the
 * same (registration, reference) again is the same payment, answered with the registration
 * as it is, so a partner's retried call never pays twice. Nothing beyond the amount due is
 * taken (OVERPAYMENT), and nothing while on the waitlist (INVALID_STATE). Each payment
 * mails the registrant a receipt.
 */
export async function recordPayment(deps: Deps, input: RecordPaymentInput, actor: string): Promise<RegistrationRow> {
  const check = new InputChecker();
  const method = check.requiredText(["input", "method"], input.method, 50);
  const reference = check.text(["input", "reference"], input.reference, limits.name);
  if (!Number.isInteger(input.amountMinor) || input.amountMinor <= 0) check.add("INVALID", "amountMinor must be a positive whole number of minor units.", ["input", "amountMinor"]);
  const currency = check.requiredText(["input", "currency"], input.currency, 3).toUpperCase();
  const now = deps.clock.now();
  const receivedAt = input.receivedAt ?? now;
  if (receivedAt.getTime() > now.getTime() + 5 * 60_000) check.add("INVALID", "receivedAt cannot be in the future.", ["input", "receivedAt"]);
  check.throwIfAny();
  return deps.db.transaction(async (tx) => {
    const { registration, event } = await loadForChange(deps.db, tx, input.registrationId);
    if (reference !== null) {
      const same = await tx.select().from(payments).where(and(eq(payments.registrationId, registration.id), eq(payments.reference, reference))).get();
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
    const paidBefore = await amountPaidMinor(tx, registration.id);
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
    const payment = (await tx.insert(payments).values({ id: paymentId, registrationId: registration.id, amountMinor: input.amountMinor, currency, method, reference, receivedAt, createdAt: now }).returning().get())!;
    const paid = paidBefore + input.amountMinor;
    await recordChange(tx, { registrationId: registration.id, at: now, actor, action: "PAYMENT_RECORDED", note: `${formatMoney(input.amountMinor, currency)} by ${method}${reference ? ` (${reference})` : ""}; paid ${formatMoney(paid, currency)} of ${formatMoney(registration.amountDueMinor, currency)}` });
    // The receipt's figures are those of this payment's moment, whatever is paid later.
    await mail(tx, deps.clock, registration, event, "PAYMENT_RECEIVED", paymentId, {
      amount: formatMoney(input.amountMinor, currency),
      method,
      reference,
      paidSoFar: formatMoney(paid, currency),
      remaining: formatMoney(registration.amountDueMinor - paid, currency),
      paidInFull: paid >= registration.amountDueMinor,
    });
    const touched = await setStatus(tx, registration, now, {});
    await enqueueWebhooks(tx, now, "PAYMENT_RECORDED", { registration: touched, event, payment });
    if (registration.status === "AWAITING_PAYMENT" && paid >= registration.amountDueMinor) {
      await recordChange(tx, { registrationId: registration.id, at: now, actor, action: "PAID_IN_FULL", fromStatus: "AWAITING_PAYMENT", toStatus: "CONFIRMED" });
      return enterConfirmed(tx, deps, touched, event, now);
    }
    return touched;
  });
}

const cancellable: Status[] = ["PENDING_REVIEW", "AWAITING_PAYMENT", "CONFIRMED", "WAITLISTED"];

/** Cancels, revokes prerequisite access, and offers the freed seat to the waitlist. */
export async function cancelRegistration(deps: Deps, registrationId: string, reason: string | null | undefined, actor: string, action = "CANCELLED"): Promise<RegistrationRow> {
  const check = new InputChecker();
  const cleanReason = check.multilineText(["input", "reason"], reason, limits.note);
  check.throwIfAny();
  return deps.db.transaction(async (tx) => {
    const { registration, event } = await loadForChange(deps.db, tx, registrationId);
    return cancelLoaded(tx, deps, registration, event, cleanReason, actor, action);
  });
}

/** Cancels `registration`, read in this transaction after its event was locked. */
async function cancelLoaded(tx: Tx, deps: Deps, registration: RegistrationRow, event: EventRow, reason: string | null, actor: string, action: string): Promise<RegistrationRow> {
  const registrationId = registration.id;
  if (!cancellable.includes(registration.status)) {
    throw new DomainError("INVALID_STATE", `This registration is already ${registration.status.toLowerCase()}.`, ["input", "registrationId"]);
  }
  const now = deps.clock.now();
  const cancelled = await setStatus(tx, registration, now, {
    status: "CANCELLED",
    cancelledAt: now,
    cancelReason: reason,
    waitlistedAt: null,
    offerExpiresAt: null,
    accessScheduledFor: null,
    accessRevokedAt: registration.accessGrantedAt ? now : null,
  });
  await recordChange(tx, { registrationId, at: now, actor, action, fromStatus: registration.status, toStatus: "CANCELLED", note: reason });
  await mail(tx, deps.clock, cancelled, event, "REGISTRATION_CANCELLED", "initial", { reason, lapsed: action === "OFFER_LAPSED" });
  if (action === "OFFER_LAPSED") await enqueueWebhooks(tx, now, "WAITLIST_OFFER_EXPIRED", { registration: cancelled, event });
  await enqueueWebhooks(tx, now, "REGISTRATION_CANCELLED", { registration: cancelled, event });
  if (registration.status !== "WAITLISTED") await promoteFromWaitlist(tx, deps, event, now);
  return cancelled;
}

/**
 * A place offered from the waitlist that was neither approved nor paid within the offer
 * window passes to the next in line. Safe to run any number of times. One transaction per
 * offer, each locking its event first: a run never holds several events' locks.
 */
export async function lapseExpiredOffers(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  // Only offers carry offerExpiresAt: the partial registrations_offer_expiry_idx holds just
  // them. The status is checked here, not in SQL, where it would lead the planner to read
  // every registration in those statuses instead.
  const due = (
    await deps.db
      .select({ id: registrations.id, eventId: registrations.eventId, status: registrations.status })
      .from(registrations)
      .where(lte(registrations.offerExpiresAt, now))
      .all()
  ).filter((row) => row.status === "PENDING_REVIEW" || row.status === "AWAITING_PAYMENT");
  let lapsed = 0;
  for (const { id, eventId } of due) {
    await deps.db.transaction(async (tx) => {
      const event = await deps.db.lockEvent(tx, eventId);
      const current = await tx.select().from(registrations).where(eq(registrations.id, id)).get();
      // Another run, a payment or an approval may have got here first.
      if (!event || !current?.offerExpiresAt || current.offerExpiresAt > now || !["PENDING_REVIEW", "AWAITING_PAYMENT"].includes(current.status)) return;
      await cancelLoaded(tx, deps, current, event, "The offered place was not taken up in time.", "system", "OFFER_LAPSED");
      lapsed++;
    });
  }
  return lapsed;
}

export async function markPrerequisiteCompleted(deps: Deps, registrationId: string, completedAt: Date | null | undefined, actor: string): Promise<RegistrationRow> {
  const now = deps.clock.now();
  const at = completedAt ?? now;
  if (at.getTime() > now.getTime() + 5 * 60_000) throw new DomainError("INVALID", "completedAt cannot be in the future.", ["completedAt"]);
  return deps.db.transaction(async (tx) => {
    const { registration } = await loadForChange(deps.db, tx, registrationId);
    if (registration.status === "CANCELLED" || registration.status === "REJECTED") {
      throw new DomainError("INVALID_STATE", `This registration is ${registration.status.toLowerCase()}.`, ["registrationId"]);
    }
    await recordChange(tx, { registrationId, at: now, actor, action: "PREREQUISITE_COMPLETED", note: at.toISOString() });
    return setStatus(tx, registration, now, { prerequisiteCompletedAt: at });
  });
}

/**
 * The registrant asks for the prerequisite course before it opens; the event's contact is
 * told. One request stays pending per registration: asking again while it is answers
 * with the registration as it is and mails nobody, so repeated clicks cannot flood the contact.
 */
export async function requestEarlyAccess(deps: Deps, registrationId: string, reason: string, actor: string): Promise<RegistrationRow> {
  const check = new InputChecker();
  const cleanReason = check.requiredMultilineText(["input", "reason"], reason, limits.note);
  check.throwIfAny();
  return deps.db.transaction(async (tx) => {
    const { registration, event } = await loadForChange(deps.db, tx, registrationId);
    if (registration.status === "WAITLISTED") throw new DomainError("INVALID_STATE", "A place on the waitlist holds no seat yet: early access can be asked for once a place is offered.", ["input", "registrationId"]);
    if (!cancellable.includes(registration.status)) throw new DomainError("INVALID_STATE", `This registration is ${registration.status.toLowerCase()}.`, ["input", "registrationId"]);
    if (registration.accessGrantedAt && !registration.accessRevokedAt) throw new DomainError("INVALID_STATE", "Access to the online course is already granted.", ["input", "registrationId"]);
    const prerequisite = await tx.select().from(prerequisiteCourses).where(eq(prerequisiteCourses.eventId, event.id)).get();
    if (!prerequisite) throw new DomainError("INVALID_STATE", "This event has no prerequisite course.", ["input", "registrationId"]);
    if (registration.earlyAccessRequestedAt) return registration;
    const now = deps.clock.now();
    const updated = await setStatus(tx, registration, now, { earlyAccessRequestedAt: now, earlyAccessReason: cleanReason });
    await recordChange(tx, { registrationId, at: now, actor, action: "EARLY_ACCESS_REQUESTED", note: cleanReason });
    await enqueueEmail(tx, deps.clock, {
      kind: "EARLY_ACCESS_REQUESTED",
      to: event.contactEmail ?? deps.config.mailFrom.replace(/^.*<([^>]+)>.*$/, "$1"),
      subject: subjectFor("EARLY_ACCESS_REQUESTED", { eventTitle: event.title, reference: registration.reference }),
      dedupeKey: `${registrationId}:EARLY_ACCESS_REQUESTED:${now.getTime()}`,
      registrationId,
      payload: { reason: cleanReason },
    });
    return updated;
  });
}

/** An admin opens the prerequisite course now; only for places paid in full. */
export async function grantEarlyAccess(deps: Deps, registrationId: string, actor: string): Promise<RegistrationRow> {
  return deps.db.transaction(async (tx) => {
    const { registration, event } = await loadForChange(deps.db, tx, registrationId);
    if (registration.status !== "CONFIRMED" || (await amountPaidMinor(tx, registrationId)) < registration.amountDueMinor) {
      throw new DomainError("INVALID_STATE", "Access can only be granted once the place is paid in full.", ["registrationId"]);
    }
    if (registration.accessGrantedAt && !registration.accessRevokedAt) throw new DomainError("INVALID_STATE", "Access is already granted.", ["registrationId"]);
    return grantAccess(tx, deps.clock, registration, event, deps.clock.now(), actor, "EARLY_ACCESS_GRANTED");
  });
}

/**
 * Grants every scheduled access whose time has come. Idempotent. One transaction per
 * registration, each locking its event first (see lapseExpiredOffers).
 */
export async function grantDueAccess(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  // Scheduled and not yet granted: what the partial registrations_access_due_idx holds. The
  // status is checked here, not in SQL (see lapseExpiredOffers).
  const due = (
    await deps.db
      .select({ id: registrations.id, eventId: registrations.eventId, status: registrations.status })
      .from(registrations)
      .where(and(lte(registrations.accessScheduledFor, now), isNull(registrations.accessGrantedAt)))
      .all()
  ).filter((row) => row.status === "CONFIRMED");
  let granted = 0;
  for (const { id, eventId } of due) {
    await deps.db.transaction(async (tx) => {
      const event = await deps.db.lockEvent(tx, eventId);
      const current = await tx.select().from(registrations).where(eq(registrations.id, id)).get();
      if (!event || !current || current.status !== "CONFIRMED" || current.accessGrantedAt || !current.accessScheduledFor || current.accessScheduledFor > now) return;
      await grantAccess(tx, deps.clock, current, event, now, "system", "ACCESS_GRANTED");
      granted++;
    });
  }
  return granted;
}

/** Drops idempotency records past their time. */
export async function purgeExpiredIdempotencyKeys(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => (await tx.delete(idempotencyKeys).where(lte(idempotencyKeys.expiresAt, now)).run()).changes);
}

export async function countRegistrations(db: Reads, eventId: string): Promise<number> {
  return (await db.select({ n: count() }).from(registrations).where(eq(registrations.eventId, eventId)).get())!.n;
}
