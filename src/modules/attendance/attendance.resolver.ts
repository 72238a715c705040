import { Arg, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { requireAdmin } from "../../auth/guards.js";
import { actorLabel } from "../../auth/viewer.js";
import { badUserInput, DomainError, forbidden, unauthenticated } from "../../common/errors.js";
import { toPayload } from "../../common/payload.js";
import { URLScalar } from "../../common/scalars.js";
import type { Context } from "../../context.js";
import type { LearningObjective } from "../events/events.type.js";
import { loadVisibleRegistration, type RegistrationRow } from "../registrations/registration-access.js";
import { listRegistrations } from "../registrations/registrations.query.js";
import { Registration, RegistrationConnection, RegistrationPayload } from "../registrations/registrations.type.js";
import { isRegistrantOrAdmin, isEventStaff, requireEventStaff, requireStaffCaller } from "./attendance-access.js";
import { creditsEarned, liveAttendanceOf, type SessionAttendanceFacts } from "./attendance-rules.js";
import { AttendanceOverrideInput, AttendanceRecordInput, ClaimCertificateInput, SubmitEvaluationInput } from "./attendance.inputs.js";
import {
  claimCertificate,
  findCertificateByNumber,
  MAX_ATTENDANCE_BATCH,
  overrideAttendance,
  recordAttendance,
  revokeCertificate,
  submitEvaluation,
  type CertificateRow,
} from "./attendance.service.js";
import { AttendanceRecordResult, Certificate, CertificatePayload, CertificateVerification, Evaluation, SessionAttendance } from "./attendance.type.js";
import { pdfUrlOf, verifyUrlOf } from "./certificate-links.js";
import { verificationOf } from "./certificate-verification.js";

/**
 * The registration a registrant (or an admin) acts on: partners are refused, and a
 * registration the caller may not see is reported exactly like a missing one.
 */
async function ownRegistration(ctx: Context, id: string): Promise<RegistrationRow> {
  if (ctx.viewer.role === "ANONYMOUS") throw unauthenticated();
  if (ctx.viewer.role === "PARTNER") throw forbidden("Only the registrant (or an admin) may do this.");
  const registration = await loadVisibleRegistration(ctx, id);
  if (!registration || !isRegistrantOrAdmin(ctx, registration)) throw new DomainError("NOT_FOUND", "No registration has this id.", ["input", "registrationId"]);
  return registration;
}

async function liveAttendance(ctx: Context, registration: RegistrationRow): Promise<SessionAttendanceFacts[]> {
  const [event, eventSessions, records, overrides] = await Promise.all([
    ctx.loaders.eventById.load(registration.eventId),
    ctx.loaders.sessionsByEventId.load(registration.eventId),
    ctx.loaders.attendanceRecordsByRegistrationId.load(registration.id),
    ctx.loaders.attendanceOverridesByRegistrationId.load(registration.id),
  ]);
  return liveAttendanceOf(event!, eventSessions, records, overrides);
}

@Resolver()
export class AttendanceResolver {
  @Query(() => CertificateVerification, { nullable: true, description: "Public: confirms a certificate by its number." })
  async verifyCertificate(@Ctx() ctx: Context, @Arg("number", () => String) number: string): Promise<CertificateVerification | null> {
    const found = await findCertificateByNumber(ctx.deps.db, number);
    return found ? verificationOf(found) : null;
  }

  @Query(() => RegistrationConnection, { description: "Staff (admin, the event's HOST or DELIVERY_PARTNER secret key): attendance of one session." })
  async sessionAttendance(
    @Ctx() ctx: Context,
    @Arg("sessionId", () => ID) sessionId: string,
    @Arg("first", () => Int, { nullable: true, defaultValue: 100 }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ) {
    requireStaffCaller(ctx);
    const session = await ctx.loaders.sessionById.load(sessionId);
    if (!session) return { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, totalCount: 0 };
    await requireEventStaff(ctx, session.eventId);
    return listRegistrations(ctx.deps.db, { scope: undefined, eventId: session.eventId, status: ["CONFIRMED"], first, after });
  }

  @Mutation(() => [AttendanceRecordResult], { description: "Staff. A batch of check-ins/outs (up to 500), e.g. uploaded by a scanning app after working offline." })
  async recordAttendance(@Ctx() ctx: Context, @Arg("records", () => [AttendanceRecordInput]) records: AttendanceRecordInput[]) {
    requireStaffCaller(ctx);
    if (records.length > MAX_ATTENDANCE_BATCH) throw badUserInput(`At most ${MAX_ATTENDANCE_BATCH} records per call; send the rest in another batch.`);
    // A partner's whole batch is refused when any record names a session of an event it does
    // not run, or a session that does not exist: otherwise a made-up session id would get
    // per-record answers that tell which registration ids, codes and nonces exist.
    // Admins may name any session; an unknown one is that record's NOT_FOUND.
    if (ctx.viewer.role !== "ADMIN") {
      const batchSessions = await Promise.all([...new Set(records.map((record) => record.sessionId))].map((id) => ctx.loaders.sessionById.load(id)));
      const refusal = "Only admins and the event's host or delivery partner (secret key) may record its attendance.";
      if (batchSessions.some((session) => session === null)) throw forbidden(refusal);
      for (const eventId of new Set(batchSessions.map((session) => session!.eventId))) {
        if (!(await isEventStaff(ctx, eventId))) throw forbidden(refusal);
      }
    }
    const viewer = ctx.viewer;
    return recordAttendance(ctx.deps, records, { actor: actorLabel(viewer), apiKeyId: viewer.role === "ADMIN" || viewer.role === "PARTNER" ? viewer.apiKeyId : null });
  }

  @Mutation(() => RegistrationPayload, { description: "Admin. Sets the minutes present for one session, with a reason kept in the timeline." })
  overrideAttendance(@Ctx() ctx: Context, @Arg("input", () => AttendanceOverrideInput) input: AttendanceOverrideInput) {
    requireAdmin(ctx);
    return toPayload(async () => ({ registration: await overrideAttendance(ctx.deps, input, actorLabel(ctx.viewer)) }));
  }

  @Mutation(() => RegistrationPayload, { description: "Registrant (or admin). Once, after the first live session has started." })
  submitEvaluation(@Ctx() ctx: Context, @Arg("input", () => SubmitEvaluationInput) input: SubmitEvaluationInput) {
    return toPayload(async () => {
      await ownRegistration(ctx, input.registrationId);
      return { registration: await submitEvaluation(ctx.deps, input, actorLabel(ctx.viewer)) };
    });
  }

  @Mutation(() => CertificatePayload, { description: "Registrant (or admin). Issues the certificate when every condition holds, else NOT_YET_EARNED naming what is missing." })
  claimCertificate(@Ctx() ctx: Context, @Arg("input", () => ClaimCertificateInput) input: ClaimCertificateInput) {
    return toPayload(async () => {
      await ownRegistration(ctx, input.registrationId);
      return { certificate: await claimCertificate(ctx.deps, input, actorLabel(ctx.viewer)) };
    });
  }

  @Mutation(() => CertificatePayload, { description: "Admin." })
  revokeCertificate(@Ctx() ctx: Context, @Arg("id", () => ID) id: string, @Arg("reason", () => String) reason: string) {
    requireAdmin(ctx);
    return toPayload(async () => ({ certificate: await revokeCertificate(ctx.deps, id, reason, actorLabel(ctx.viewer)) }));
  }
}

@Resolver(() => Registration)
export class RegistrationAttendanceResolver {
  @FieldResolver(() => String, { nullable: true, description: "Printed as a QR code in the booking confirmation; staff scan it to check the attendee in. The registrant and admins only." })
  checkInCode(@Root() registration: RegistrationRow, @Ctx() ctx: Context): string | null {
    return isRegistrantOrAdmin(ctx, registration) ? registration.checkInCode : null;
  }

  @FieldResolver(() => [SessionAttendance])
  async attendance(@Root() registration: RegistrationRow, @Ctx() ctx: Context): Promise<SessionAttendanceFacts[]> {
    return liveAttendance(ctx, registration);
  }

  @FieldResolver(() => Float, { description: "Credit earned so far by attendance (before evaluation and claim)." })
  async creditsEarned(@Root() registration: RegistrationRow, @Ctx() ctx: Context): Promise<number> {
    const event = await ctx.loaders.eventById.load(registration.eventId);
    return creditsEarned(event!, await liveAttendance(ctx, registration));
  }

  @FieldResolver(() => Evaluation, { nullable: true })
  async evaluation(@Root() registration: RegistrationRow, @Ctx() ctx: Context): Promise<Evaluation | null> {
    const evaluation = await ctx.loaders.evaluationByRegistrationId.load(registration.id);
    if (!evaluation) return null;
    const objectives = await ctx.loaders.objectivesByEventId.load(registration.eventId);
    const byPosition = new Map<number, LearningObjective>(objectives.map((objective) => [objective.position, objective]));
    return {
      submittedAt: evaluation.submittedAt,
      comments: evaluation.comments,
      objectiveRatings: evaluation.ratings.map((item) => ({ objective: byPosition.get(item.position) ?? { position: item.position, text: "" }, rating: item.rating })),
    };
  }

  @FieldResolver(() => Certificate, { nullable: true })
  certificate(@Root() registration: RegistrationRow, @Ctx() ctx: Context) {
    return ctx.loaders.certificateByRegistrationId.load(registration.id);
  }
}

@Resolver(() => Certificate)
export class CertificateResolver {
  @FieldResolver(() => Registration)
  async registration(@Root() certificate: CertificateRow, @Ctx() ctx: Context): Promise<RegistrationRow> {
    return (await ctx.loaders.registrationById.load(certificate.registrationId))!;
  }

  @FieldResolver(() => URLScalar, { description: "Public page that confirms the certificate: PUBLIC_URL/verify/{number}." })
  verifyUrl(@Root() certificate: CertificateRow, @Ctx() ctx: Context): string {
    return verifyUrlOf(ctx.deps.config, certificate.number);
  }

  @FieldResolver(() => URLScalar, { description: "The PDF (readable by the registrant, admins and the event's HOST/DELIVERY_PARTNER)." })
  pdfUrl(@Root() certificate: CertificateRow, @Ctx() ctx: Context): string {
    return pdfUrlOf(ctx.deps.config, certificate.id);
  }
}
