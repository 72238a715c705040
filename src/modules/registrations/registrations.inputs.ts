import { Field, ID, InputType, Int } from "type-graphql";
import { Profession, ReviewDecision } from "../../common/enums.js";
import { DateTimeScalar, EmailAddressScalar } from "../../common/scalars.js";

@InputType()
export class AttendeeInput {
  @Field(() => String)
  firstName!: string;

  @Field(() => String)
  lastName!: string;

  @Field(() => EmailAddressScalar)
  email!: string;

  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field(() => Profession)
  profession!: Profession;

  @Field(() => String, { nullable: true, description: "Required when profession is OTHER." })
  professionOther?: string | null;

  @Field(() => String, { nullable: true })
  employer?: string | null;

  @Field(() => String, { nullable: true })
  jobTitle?: string | null;
}

@InputType()
export class EligibilityAnswerInput {
  @Field(() => ID)
  criterionId!: string;

  @Field(() => Boolean)
  met!: boolean;

  @Field(() => String, { nullable: true, description: "Evidence, e.g. the qualification or course taken." })
  details?: string | null;
}

@InputType()
export class RegisterInput {
  @Field(() => ID)
  eventId!: string;

  @Field(() => AttendeeInput)
  attendee!: AttendeeInput;

  @Field(() => [EligibilityAnswerInput], { nullable: true, defaultValue: [], description: "One answer per criterion of the event; may be left out when the event has none." })
  eligibilityAnswers?: EligibilityAnswerInput[] | null;

  @Field(() => String, { nullable: true })
  accessibilityNeeds?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: "Join the waitlist if the event is full (otherwise EVENT_FULL)." })
  joinWaitlist!: boolean;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: "newsletter opt-in; sends a double opt-in email." })
  subscribeToNewsletter!: boolean;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the first result; a different input with the same key is IDEMPOTENCY_CONFLICT." })
  idempotencyKey?: string | null;
}

@InputType()
export class ReviewRegistrationInput {
  @Field(() => ID)
  registrationId!: string;

  @Field(() => ReviewDecision)
  decision!: ReviewDecision;

  @Field(() => String, { nullable: true })
  note?: string | null;
}

@InputType()
export class RecordPaymentInput {
  @Field(() => ID)
  registrationId!: string;

  @Field(() => Int)
  amountMinor!: number;

  @Field(() => String)
  currency!: string;

  @Field(() => String)
  method!: string;

  @Field(() => String, { nullable: true })
  reference?: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  receivedAt?: Date | null;
}

@InputType()
export class CancelRegistrationInput {
  @Field(() => ID)
  registrationId!: string;

  @Field(() => String, { nullable: true })
  reason?: string | null;
}

@InputType()
export class RequestEarlyAccessInput {
  @Field(() => ID)
  registrationId!: string;

  @Field(() => String)
  reason!: string;
}
