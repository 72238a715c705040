import { Field, ID, InputType, Int } from "type-graphql";
import { AttendanceAction } from "../../common/enums.js";
import { DateTimeScalar } from "../../common/scalars.js";

@InputType()
export class AttendanceRecordInput {
  @Field(() => String, { nullable: true, description: "The scanned check-in code, or registrationId for a manual check-in." })
  checkInCode?: string | null;

  @Field(() => ID, { nullable: true })
  registrationId?: string | null;

  @Field(() => ID)
  sessionId!: string;

  @Field(() => AttendanceAction)
  action!: AttendanceAction;

  @Field(() => DateTimeScalar, { nullable: true, description: "When it happened (a scan made offline is uploaded later with its own time); default: now." })
  occurredAt?: Date | null;

  @Field(() => String, { description: "Unique per scan within its session: uploading the same record twice stores it once. The same nonce in another session is another scan." })
  nonce!: string;
}

@InputType()
export class ObjectiveRatingInput {
  @Field(() => Int)
  position!: number;

  @Field(() => Int)
  rating!: number;
}

@InputType()
export class SubmitEvaluationInput {
  @Field(() => ID)
  registrationId!: string;

  @Field(() => [ObjectiveRatingInput])
  objectiveRatings!: ObjectiveRatingInput[];

  @Field(() => String, { nullable: true })
  comments?: string | null;
}

@InputType()
export class ClaimCertificateInput {
  @Field(() => ID)
  registrationId!: string;

  @Field(() => Boolean, { description: "The registrant attests they claim only the credit commensurate with their participation. Without it the claim is NOT_YET_EARNED (unless the certificate was already issued, which is returned)." })
  attestation!: boolean;
}

@InputType()
export class AttendanceOverrideInput {
  @Field(() => ID)
  registrationId!: string;

  @Field(() => ID)
  sessionId!: string;

  @Field(() => Int)
  minutesPresent!: number;

  @Field(() => String)
  reason!: string;
}
