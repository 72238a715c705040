import { Directive, Field, Float, Int, ObjectType } from "type-graphql";
import { privateHint } from "../../cache/cache-hints.js";
import { AttendanceStatus, CertificateStatus } from "../../common/enums.js";
import { UserError } from "../../common/payload.js";
import { DateScalar, DateTimeScalar } from "../../common/scalars.js";
import { LearningObjective, Session } from "../events/events.type.js";
import { Node } from "../node/node.type.js";
import { Registration } from "../registrations/registrations.type.js";

@ObjectType()
@Directive(privateHint)
export class SessionAttendance {
  @Field(() => Session)
  session!: Session;

  @Field(() => AttendanceStatus)
  status!: AttendanceStatus;

  @Field(() => Int, { description: "Minutes present, clipped to the session's start and end." })
  minutesPresent!: number;

  @Field(() => DateTimeScalar, { nullable: true })
  firstCheckInAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  lastCheckOutAt!: Date | null;
}

@ObjectType()
@Directive(privateHint)
export class ObjectiveRating {
  @Field(() => LearningObjective)
  objective!: LearningObjective;

  @Field(() => Int, { description: "1 (not met) to 5 (fully met)." })
  rating!: number;
}

@ObjectType()
@Directive(privateHint)
export class Evaluation {
  @Field(() => DateTimeScalar)
  submittedAt!: Date;

  @Field(() => [ObjectiveRating])
  objectiveRatings!: ObjectiveRating[];

  @Field(() => String, { nullable: true })
  comments!: string | null;
}

@ObjectType({ implements: Node, description: "A continuing-education certificate, issued on claimCertificate once it is earned." })
@Directive(privateHint)
export class Certificate extends Node {
  @Field(() => String, { description: "Unique, printed on the certificate; the key of the public verification page." })
  number!: string;

  @Field(() => Float)
  creditsAwarded!: number;

  @Field(() => DateTimeScalar)
  issuedAt!: Date;

  @Field(() => CertificateStatus)
  status!: CertificateStatus;

  @Field(() => DateTimeScalar, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => String, { nullable: true })
  revokeReason!: string | null;
}

@ObjectType({ description: "What the public verification page and query show: enough to confirm a certificate, nothing more." })
export class CertificateVerification {
  @Field(() => String)
  number!: string;

  @Field(() => CertificateStatus)
  status!: CertificateStatus;

  @Field(() => String)
  attendeeName!: string;

  @Field(() => String)
  eventTitle!: string;

  @Field(() => DateScalar)
  startDate!: string;

  @Field(() => DateScalar)
  endDate!: string;

  @Field(() => String, { nullable: true })
  creditName!: string | null;

  @Field(() => Float)
  creditsAwarded!: number;

  @Field(() => DateTimeScalar)
  issuedAt!: Date;
}

@ObjectType()
export class AttendanceRecordResult {
  @Field(() => String)
  nonce!: string;

  @Field(() => Boolean)
  accepted!: boolean;

  @Field(() => Boolean, { description: "True when this nonce was already recorded in this session (nothing changed)." })
  duplicate!: boolean;

  @Field(() => Registration, { nullable: true })
  registration!: Registration | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class CertificatePayload {
  @Field(() => Certificate, { nullable: true })
  certificate?: Certificate | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
