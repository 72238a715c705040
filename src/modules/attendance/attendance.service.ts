import { and, asc, eq, inArray } from "drizzle-orm";
import { DomainError, type UserErrorShape } from "../../common/errors.js";
import { newCertificateNumber, newId } from "../../common/ids.js";
import { formatDateTime, instantToLocalDate } from "../../common/time.js";
import { forbiddenCharacter, InputChecker, limits } from "../../common/validate.js";
import type { Reads, Tx } from "../../db/database.js";
import { attendanceOverrides, attendanceRecords, certificates, evaluations, events, learningObjectives, registrations, sessions } from "../../db/tables.js";
import type { Deps } from "../../deps.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { subjectFor } from "../../mail/subjects.js";
import type { EventRow } from "../events/event-rules.js";
import type { RegistrationRow } from "../registrations/registration-access.js";
import { recordChange } from "../registrations/registration-timeline.js";
import { amountPaidMinor } from "../registrations/registrations.service.js";
import { enqueueWebhooks } from "../webhooks/webhook-messages.js";
import { pdfUrlOf, verifyUrlOf } from "./certificate-links.js";
import { creditDesignationOf, creditsEarned, liveAttendanceOf, SCAN_WINDOW_MS, scheduledMinutes, type SessionAttendanceFacts } from "./attendance-rules.js";
import type { AttendanceOverrideInput, AttendanceRecordInput, ClaimCertificateInput, SubmitEvaluationInput } from "./attendance.inputs.js";

export type CertificateRow = typeof certificates.$inferSelect;
export type EvaluationRow = typeof evaluations.$inferSelect;
type SessionRow = typeof sessions.$inferSelect;
type AttendanceRecordRow = typeof attendanceRecords.$inferSelect;

/** The most records one recordAttendance call takes. */
export const MAX_ATTENDANCE_BATCH = 500;
const MAX_NONCE_LENGTH = 200;
/** A scan dated later than this ahead of the server's clock is refused (device clocks drift a little). */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

export interface AttendanceRecordResult {
  nonce: string;
  accepted: boolean;
  duplicate: boolean;
  registration: RegistrationRow | null;
  userErrors: UserErrorShape[];
}

/** Who uploads the records, for the audit trail. */
export interface Recorder {
  actor: string;
  apiKeyId: string | null;
}

/** "7k3p-9qxm 2htr" → "7K3P9QXM2HTR": what a person may type from the printed code. */
export function normalizeCheckInCode(code: string): string {
  return code.replace(/[\s-]/g, "").toUpperCase();
}

/* ---------------------------------------------------------------- recording */

/**
 * Stores a batch of scans in one transaction. Each record stands alone: one with a
 * problem gets its own userErrors and stores nothing, the others are stored. A nonce
 * already stored in the same session with the same content is reported as a duplicate and
 * changes nothing; the same nonce in that session with other content is a conflict.
 * Nonces are scoped to their session: the same nonce in another session is another scan.
 *
 * Each record stored (not a duplicate, not refused) queues one attendance.recorded webhook
 * message in the same transaction: a scan is the fact a receiver keeps, by its nonce, and a
 * device that re-uploads a batch after a lost answer sends nothing twice.
 *
 * A record that is refused is refused before it writes anything, so no savepoint is needed
 * for it to fail alone. Records run one after another (not in parallel): a later record
 * with the same nonce must see the earlier one's row. Nothing here changes seats or a
 * registration's status, so the event is not locked.
 */
export async function recordAttendance(deps: Deps, records: AttendanceRecordInput[], recorder: Recorder): Promise<AttendanceRecordResult[]> {
  return deps.db.transaction(async (tx) => {
    const eventsById = new Map<string, EventRow>();
    const eventOf = async (id: string): Promise<EventRow> => {
      let event = eventsById.get(id);
      if (!event) eventsById.set(id, (event = (await tx.select().from(events).where(eq(events.id, id)).get())!));
      return event;
    };
    const results: AttendanceRecordResult[] = [];
    for (const [index, record] of records.entries()) results.push(await recordOne(tx, deps, record, index, recorder, eventOf));
    return results;
  });
}

async function recordOne(tx: Tx, deps: Deps, record: AttendanceRecordInput, index: number, recorder: Recorder, eventOf: (id: string) => Promise<EventRow>): Promise<AttendanceRecordResult> {
  const at = (field: string) => ["records", String(index), field];
  const refuse = (code: UserErrorShape["code"], message: string, field: string): AttendanceRecordResult => ({
    nonce: record.nonce,
    accepted: false,
    duplicate: false,
    registration: null,
    userErrors: [{ code, message, field: at(field) }],
  });
  const nonce = record.nonce.trim();
  if (nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) return refuse("INVALID", `nonce must be 1 to ${MAX_NONCE_LENGTH} characters.`, "nonce");
  if (forbiddenCharacter(nonce, "single-line")) return refuse("INVALID", "nonce must be a single line of visible text.", "nonce");
  const hasCode = record.checkInCode != null && record.checkInCode.trim() !== "";
  if (hasCode === (record.registrationId != null)) return refuse("INVALID", "Give exactly one of checkInCode and registrationId.", "checkInCode");

  // The session first: the resolver has checked that the caller runs its event, so nothing
  // below (registration ids, check-in codes, nonces) is looked up for a session of another.
  const session = await tx.select().from(sessions).where(eq(sessions.id, record.sessionId)).get();
  if (!session) return refuse("NOT_FOUND", "No session has this id.", "sessionId");
  const registration = hasCode
    ? await tx.select().from(registrations).where(eq(registrations.checkInCode, normalizeCheckInCode(record.checkInCode!).slice(0, 40))).get()
    : await tx.select().from(registrations).where(eq(registrations.id, record.registrationId!)).get();
  if (!registration) return refuse("NOT_FOUND", hasCode ? "No registration has this check-in code." : "No registration has this id.", hasCode ? "checkInCode" : "registrationId");
  if (session.eventId !== registration.eventId) return refuse("INVALID", "This session belongs to another event than the registration.", "sessionId");

  // The same scan stored already is a duplicate; another scan under its nonce, a conflict.
  const storedAlready = (existing: AttendanceRecordRow): AttendanceRecordResult => {
    const same =
      existing.registrationId === registration.id &&
      existing.action === record.action &&
      (!record.occurredAt || record.occurredAt.getTime() === existing.occurredAt.getTime());
    if (!same) return refuse("IDEMPOTENCY_CONFLICT", "This nonce was already recorded in this session for a different scan.", "nonce");
    return { nonce: record.nonce, accepted: true, duplicate: true, registration, userErrors: [] };
  };
  const storedWithNonce = () => tx.select().from(attendanceRecords).where(and(eq(attendanceRecords.sessionId, session.id), eq(attendanceRecords.nonce, nonce))).get();

  // Before the status check: a scan stored earlier stays a duplicate after a cancellation.
  const existing = await storedWithNonce();
  if (existing) return storedAlready(existing);
  if (registration.status !== "CONFIRMED") return refuse("INVALID_STATE", `Only a CONFIRMED registration can be checked in; this one is ${registration.status}.`, hasCode ? "checkInCode" : "registrationId");

  const now = deps.clock.now();
  const occurredAt = record.occurredAt ?? now;
  if (occurredAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) return refuse("INVALID", "occurredAt is in the future.", "occurredAt");
  if (occurredAt.getTime() < session.startsAt.getTime() - SCAN_WINDOW_MS || occurredAt.getTime() > session.endsAt.getTime() + SCAN_WINDOW_MS) {
    return refuse("INVALID", `occurredAt is far outside the session (${session.startsAt.toISOString()} – ${session.endsAt.toISOString()}).`, "occurredAt");
  }
  // DO NOTHING on the nonce: on PostgreSQL a concurrent batch (a device re-uploading after a
  // lost answer) may have stored it since the read above; its row, committed by the time
  // the insert yields, is then read back and answered as a duplicate or a conflict here.
  const stored = await tx
    .insert(attendanceRecords)
    .values({
      nonce,
      registrationId: registration.id,
      sessionId: session.id,
      action: record.action,
      occurredAt,
      recordedAt: now,
      actor: recorder.actor,
      apiKeyId: recorder.apiKeyId,
      method: hasCode ? "CODE" : "REGISTRATION_ID",
    })
    .onConflictDoNothing({ target: [attendanceRecords.sessionId, attendanceRecords.nonce] })
    .returning()
    .get();
  if (!stored) return storedAlready((await storedWithNonce())!);
  await enqueueWebhooks(tx, now, "ATTENDANCE_RECORDED", { registration, event: await eventOf(registration.eventId), attendance: { record: stored, session } });
  return { nonce: record.nonce, accepted: true, duplicate: false, registration, userErrors: [] };
}

/** Admin: sets the minutes present in one session; the reason goes into the timeline. */
export async function overrideAttendance(deps: Deps, input: AttendanceOverrideInput, actor: string): Promise<RegistrationRow> {
  const check = new InputChecker();
  const reason = check.requiredMultilineText(["input", "reason"], input.reason, limits.note);
  check.throwIfAny();
  return deps.db.transaction(async (tx) => {
    const registration = await tx.select().from(registrations).where(eq(registrations.id, input.registrationId)).get();
    if (!registration) throw new DomainError("NOT_FOUND", "No registration has this id.", ["input", "registrationId"]);
    const session = await tx.select().from(sessions).where(eq(sessions.id, input.sessionId)).get();
    if (!session) throw new DomainError("NOT_FOUND", "No session has this id.", ["input", "sessionId"]);
    if (session.eventId !== registration.eventId) throw new DomainError("INVALID", "This session belongs to another event than the registration.", ["input", "sessionId"]);
    const scheduled = scheduledMinutes(session);
    if (!Number.isInteger(input.minutesPresent) || input.minutesPresent < 0 || input.minutesPresent > scheduled) {
      throw new DomainError("INVALID", `minutesPresent must be a whole number from 0 to ${scheduled} (the session's length).`, ["input", "minutesPresent"]);
    }
    const now = deps.clock.now();
    await tx.insert(attendanceOverrides).values({ registrationId: registration.id, sessionId: session.id, minutesPresent: input.minutesPresent, reason, actor, at: now }).run();
    await recordChange(tx, { registrationId: registration.id, at: now, actor, action: "ATTENDANCE_OVERRIDDEN", note: `${session.title}: ${input.minutesPresent} of ${scheduled} minutes. ${reason}` });
    return (await tx.update(registrations).set({ updatedAt: now }).where(eq(registrations.id, registration.id)).returning().get())!;
  });
}

/* ------------------------------------------------------------ derived facts */

/** A registration's attendance of every live session and the credit it earns, read in one place for the claim, the PDF and the CSV. */
export async function attendanceFactsOf(db: Reads, registration: RegistrationRow, event: EventRow): Promise<{ live: SessionAttendanceFacts[]; credits: number }> {
  const eventSessions = await db.select().from(sessions).where(eq(sessions.eventId, event.id)).orderBy(asc(sessions.position)).all();
  const records = await db.select().from(attendanceRecords).where(eq(attendanceRecords.registrationId, registration.id)).all();
  const overrides = await db.select().from(attendanceOverrides).where(eq(attendanceOverrides.registrationId, registration.id)).all();
  const live = liveAttendanceOf(event, eventSessions, records, overrides);
  return { live, credits: creditsEarned(event, live) };
}

/** The same for many registrations of one event, with one statement per table (the CSV export). */
export async function attendanceFactsOfEvent(db: Reads, event: EventRow, registrationIds: string[]): Promise<Map<string, { live: SessionAttendanceFacts[]; credits: number }>> {
  const eventSessions = await db.select().from(sessions).where(eq(sessions.eventId, event.id)).orderBy(asc(sessions.position)).all();
  const sessionIds = eventSessions.map((session) => session.id);
  const records = sessionIds.length ? await db.select().from(attendanceRecords).where(inArray(attendanceRecords.sessionId, sessionIds)).all() : [];
  const overrides = sessionIds.length ? await db.select().from(attendanceOverrides).where(inArray(attendanceOverrides.sessionId, sessionIds)).all() : [];
  const facts = new Map<string, { live: SessionAttendanceFacts[]; credits: number }>();
  for (const id of registrationIds) {
    const live = liveAttendanceOf(
      event,
      eventSessions,
      records.filter((record) => record.registrationId === id),
      overrides.filter((override) => override.registrationId === id),
    );
    facts.set(id, { live, credits: creditsEarned(event, live) });
  }
  return facts;
}

function firstLiveSession(db: Reads, eventId: string): Promise<SessionRow | undefined> {
  return db
    .select()
    .from(sessions)
    .where(and(eq(sessions.eventId, eventId), eq(sessions.kind, "LIVE")))
    .orderBy(asc(sessions.startsAt))
    .limit(1)
    .get();
}

/* --------------------------------------------------------------- evaluation */

/** The registrant rates every learning objective, once, after the first live session has started. */
export async function submitEvaluation(deps: Deps, input: SubmitEvaluationInput, actor: string): Promise<RegistrationRow> {
  const check = new InputChecker();
  const comments = check.multilineText(["input", "comments"], input.comments, limits.note);
  check.throwIfAny();
  const submittedAlready = () => new DomainError("INVALID_STATE", "The evaluation has already been submitted.", ["input", "registrationId"]);
  return deps.db.transaction(async (tx) => {
    const registration = await tx.select().from(registrations).where(eq(registrations.id, input.registrationId)).get();
    if (!registration) throw new DomainError("NOT_FOUND", "No registration has this id.", ["input", "registrationId"]);
    if (registration.status !== "CONFIRMED") throw new DomainError("INVALID_STATE", `Only a CONFIRMED registration can evaluate the course; this one is ${registration.status}.`, ["input", "registrationId"]);
    const now = deps.clock.now();
    const first = await firstLiveSession(tx, registration.eventId);
    if (!first || now < first.startsAt) throw new DomainError("INVALID_STATE", "The evaluation opens when the first live session starts.", ["input", "registrationId"]);
    if (await tx.select({ id: evaluations.registrationId }).from(evaluations).where(eq(evaluations.registrationId, registration.id)).get()) throw submittedAlready();
    const objectives = await tx.select().from(learningObjectives).where(eq(learningObjectives.eventId, registration.eventId)).orderBy(asc(learningObjectives.position)).all();
    const ratings = checkRatings(objectives.map((objective) => objective.position), input.objectiveRatings);
    // DO NOTHING: on PostgreSQL a concurrent submission may have committed since the read above.
    const inserted = await tx.insert(evaluations).values({ registrationId: registration.id, ratings, comments, actor, submittedAt: now }).onConflictDoNothing({ target: evaluations.registrationId }).run();
    if (inserted.changes === 0) throw submittedAlready();
    await recordChange(tx, { registrationId: registration.id, at: now, actor, action: "EVALUATION_SUBMITTED" });
    return (await tx.update(registrations).set({ updatedAt: now }).where(eq(registrations.id, registration.id)).returning().get())!;
  });
}

/** Exactly one rating from 1 to 5 for each objective's position; every problem reported at once. */
function checkRatings(positions: number[], given: SubmitEvaluationInput["objectiveRatings"]): { position: number; rating: number }[] {
  const check = new InputChecker();
  const known = new Set(positions);
  const seen = new Map<number, number>();
  if (given.length > positions.length + 10) check.add("INVALID", "Too many ratings.", ["input", "objectiveRatings"]);
  given.slice(0, positions.length + 10).forEach((item, index) => {
    const field = ["input", "objectiveRatings", String(index)];
    if (!known.has(item.position)) return check.add("INVALID", `The event has no learning objective ${item.position}.`, [...field, "position"]);
    if (seen.has(item.position)) return check.add("INVALID", `Objective ${item.position} is rated twice.`, [...field, "position"]);
    if (!Number.isInteger(item.rating) || item.rating < 1 || item.rating > 5) return check.add("INVALID", "rating must be a whole number from 1 to 5.", [...field, "rating"]);
    seen.set(item.position, item.rating);
  });
  const missing = positions.filter((position) => !seen.has(position) && !given.some((item) => item.position === position));
  if (missing.length) check.add("REQUIRED", `Rate every learning objective; missing: ${missing.join(", ")}.`, ["input", "objectiveRatings"]);
  check.throwIfAny();
  return positions.map((position) => ({ position, rating: seen.get(position)! }));
}

/* ------------------------------------------------------------- certificates */

/**
 * Issues the certificate when every condition holds; otherwise NOT_YET_EARNED, one
 * userError per unmet condition, the attestation among them. A registration has at most
 * one certificate: claiming again returns it as it is, whatever the attestation says
 * (it was given when the certificate was issued).
 */
export async function claimCertificate(deps: Deps, input: ClaimCertificateInput, actor: string): Promise<CertificateRow> {
  return deps.db.transaction(async (tx) => {
    const registration = await tx.select().from(registrations).where(eq(registrations.id, input.registrationId)).get();
    if (!registration) throw new DomainError("NOT_FOUND", "No registration has this id.", ["input", "registrationId"]);
    const certificateOfRegistration = () => tx.select().from(certificates).where(eq(certificates.registrationId, registration.id)).get();
    const existing = await certificateOfRegistration();
    if (existing) return existing;
    const event = (await tx.select().from(events).where(eq(events.id, registration.eventId)).get())!;
    const credit = creditDesignationOf(event);
    if (!credit) throw new DomainError("INVALID_STATE", "This event awards no continuing-education credit.", ["input", "registrationId"]);

    const now = deps.clock.now();
    const { live, credits } = await attendanceFactsOf(tx, registration, event);
    const unmet: string[] = [];
    if (registration.status !== "CONFIRMED") unmet.push(`The registration is ${registration.status}, not CONFIRMED.`);
    if ((await amountPaidMinor(tx, registration.id)) < registration.amountDueMinor) unmet.push("The place is not paid in full.");
    const lastEnd = Math.max(0, ...live.map((item) => item.session.endsAt.getTime()));
    if (live.length === 0) unmet.push("The event has no live sessions to attend.");
    else if (now.getTime() < lastEnd) unmet.push(`The last live session ends at ${formatDateTime(new Date(lastEnd), event.timeZone)}.`);
    for (const item of live) {
      if (item.status !== "PRESENT") unmet.push(`${item.session.title}: ${item.status} (${item.minutesPresent} of ${item.scheduledMinutes} minutes).`);
    }
    if (event.evaluationRequired && !(await tx.select({ id: evaluations.registrationId }).from(evaluations).where(eq(evaluations.registrationId, registration.id)).get())) {
      unmet.push("The evaluation has not been submitted.");
    }
    const unmetErrors = unmet.map((message) => ({ code: "NOT_YET_EARNED" as const, message, field: ["input", "registrationId"] }));
    if (!input.attestation) {
      unmetErrors.push({ code: "NOT_YET_EARNED", message: "The attestation: attest that you claim only the credit commensurate with the extent of your participation.", field: ["input", "attestation"] });
    }
    if (unmetErrors.length) throw new DomainError(unmetErrors);

    // DO NOTHING on the registration: on PostgreSQL a concurrent claim may have issued its
    // certificate since the read above; that one is answered, as to any claim after it.
    const certificate = await tx
      .insert(certificates)
      .values({
        id: newId("certificate"),
        number: await uniqueNumber(tx, Number(instantToLocalDate(now, event.timeZone).slice(0, 4))),
        registrationId: registration.id,
        attendeeName: `${registration.firstName} ${registration.lastName}`,
        eventTitle: event.title,
        startDate: instantToLocalDate(event.startsAt, event.timeZone),
        endDate: instantToLocalDate(event.endsAt, event.timeZone),
        creditName: credit.name,
        creditsAwarded: credits,
        status: "VALID",
        issuedAt: now,
      })
      .onConflictDoNothing({ target: certificates.registrationId })
      .returning()
      .get();
    if (!certificate) return (await certificateOfRegistration())!;
    await recordChange(tx, { registrationId: registration.id, at: now, actor, action: "CERTIFICATE_ISSUED", note: `${certificate.number}: ${credits} ${credit.name}` });
    await enqueueEmail(tx, deps.clock, {
      kind: "CERTIFICATE_ISSUED",
      to: registration.email,
      subject: subjectFor("CERTIFICATE_ISSUED", { eventTitle: event.title, reference: registration.reference }),
      dedupeKey: `${registration.id}:CERTIFICATE_ISSUED:${certificate.id}`,
      registrationId: registration.id,
      payload: { certificateId: certificate.id },
    });
    await enqueueWebhooks(tx, now, "CERTIFICATE_ISSUED", { registration, event, certificate: certificateLinks(deps, certificate) });
    return certificate;
  });
}

function certificateLinks(deps: Deps, row: CertificateRow) {
  return { row, verifyUrl: verifyUrlOf(deps.config, row.number), pdfUrl: pdfUrlOf(deps.config, row.id) };
}

async function uniqueNumber(tx: Tx, year: number): Promise<string> {
  for (;;) {
    const number = newCertificateNumber(year);
    if (!(await tx.select({ id: certificates.id }).from(certificates).where(eq(certificates.number, number)).get())) return number;
  }
}

/** Admin: the certificate stays on record as REVOKED, which the verification page then shows. */
export async function revokeCertificate(deps: Deps, id: string, reason: string, actor: string): Promise<CertificateRow> {
  const check = new InputChecker();
  const cleanReason = check.requiredMultilineText(["reason"], reason, limits.note);
  check.throwIfAny();
  const revokedAlready = () => new DomainError("INVALID_STATE", "This certificate is already revoked.", ["id"]);
  return deps.db.transaction(async (tx) => {
    const certificate = await tx.select().from(certificates).where(eq(certificates.id, id)).get();
    if (!certificate) throw new DomainError("NOT_FOUND", "No certificate has this id.", ["id"]);
    if (certificate.status === "REVOKED") throw revokedAlready();
    const now = deps.clock.now();
    // Only a VALID one is revoked: on PostgreSQL a concurrent revocation may have committed
    // since the read above (the update waits for it, then finds no VALID row).
    const revoked = await tx
      .update(certificates)
      .set({ status: "REVOKED", revokedAt: now, revokeReason: cleanReason })
      .where(and(eq(certificates.id, id), eq(certificates.status, "VALID")))
      .returning()
      .get();
    if (!revoked) throw revokedAlready();
    await recordChange(tx, { registrationId: certificate.registrationId, at: now, actor, action: "CERTIFICATE_REVOKED", note: `${certificate.number}: ${cleanReason}` });
    const registration = (await tx.select().from(registrations).where(eq(registrations.id, certificate.registrationId)).get())!;
    const event = (await tx.select().from(events).where(eq(events.id, registration.eventId)).get())!;
    await enqueueWebhooks(tx, now, "CERTIFICATE_REVOKED", { registration, event, certificate: certificateLinks(deps, revoked) });
    return revoked;
  });
}

export async function findCertificateByNumber(db: Reads, number: string): Promise<CertificateRow | undefined> {
  if (number.length > 40) return undefined;
  return db.select().from(certificates).where(eq(certificates.number, number.trim().toUpperCase())).get();
}
