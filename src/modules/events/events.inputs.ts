import { Field, Float, ID, InputType, Int } from "type-graphql";
import { EventFormat, EventStatus, PartnerRole, SessionKind } from "../../common/enums.js";
import { DateTimeScalar, EmailAddressScalar, LocalDateTimeScalar, TimeZoneScalar, URLScalar } from "../../common/scalars.js";

@InputType()
export class SessionInput {
  @Field(() => String)
  title!: string;

  @Field(() => SessionKind, { nullable: true, defaultValue: SessionKind.LIVE })
  kind!: SessionKind;

  @Field(() => LocalDateTimeScalar, { description: "Wall-clock times in the event's time zone." })
  localStart!: string;

  @Field(() => LocalDateTimeScalar)
  localEnd!: string;

  @Field(() => ID, { nullable: true })
  venueId?: string | null;
}

@InputType()
export class EligibilityCriterionInput {
  @Field(() => String)
  text!: string;

  @Field(() => Boolean, { nullable: true, defaultValue: true })
  required!: boolean;
}

@InputType()
export class PrerequisiteInput {
  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Float, { nullable: true })
  durationHours?: number | null;

  @Field(() => URLScalar, { nullable: true })
  url?: string | null;

  @Field(() => Int, { nullable: true, description: "Days before the event start that access opens (default: one calendar month)." })
  accessLeadDays?: number | null;
}

@InputType({ description: "How continuing-education credit is awarded for an event." })
export class CreditDesignationInput {
  @Field(() => String)
  name!: string;

  @Field(() => Float)
  maxCredits!: number;

  @Field(() => Float, { nullable: true, defaultValue: 0.25 })
  increment!: number;

  @Field(() => String, { nullable: true })
  statement?: string | null;
}

@InputType({ description: "The whole of an event; updateEvent replaces every field with what is given." })
export class EventInput {
  @Field(() => String)
  slug!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true })
  summary?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => String, { nullable: true })
  audience?: string | null;

  @Field(() => EventFormat)
  format!: EventFormat;

  @Field(() => TimeZoneScalar)
  timeZone!: string;

  @Field(() => ID, { nullable: true })
  venueId?: string | null;

  @Field(() => Float, { nullable: true })
  liveHours?: number | null;

  @Field(() => Float, { nullable: true })
  selfGuidedHours?: number | null;

  @Field(() => String, { nullable: true })
  programmeLength?: string | null;

  @Field(() => Int, { nullable: true })
  capacity?: number | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true })
  waitlistEnabled!: boolean;

  @Field(() => Boolean, { nullable: true, defaultValue: true })
  requiresReview!: boolean;

  @Field(() => Int, { nullable: true })
  priceMinor?: number | null;

  @Field(() => String, { nullable: true })
  currency?: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  registrationOpensAt?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  registrationClosesAt?: Date | null;

  @Field(() => URLScalar, { nullable: true })
  bookingUrl?: string | null;

  @Field(() => String, { nullable: true })
  contactName?: string | null;

  @Field(() => EmailAddressScalar, { nullable: true })
  contactEmail?: string | null;

  @Field(() => String, { nullable: true })
  contactPhone?: string | null;

  @Field(() => [String], { nullable: true })
  learningObjectives?: string[] | null;

  @Field(() => [EligibilityCriterionInput], { nullable: true })
  eligibilityCriteria?: EligibilityCriterionInput[] | null;

  @Field(() => PrerequisiteInput, { nullable: true })
  prerequisite?: PrerequisiteInput | null;

  @Field(() => [SessionInput], { nullable: true })
  sessions?: SessionInput[] | null;

  @Field(() => Int, { nullable: true, description: "Hours a place offered from the waitlist is held (default 72)." })
  offerWindowHours?: number | null;

  @Field(() => CreditDesignationInput, { nullable: true, description: "Continuing-education credit; left out: unchanged on update, null: none." })
  credit?: CreditDesignationInput | null;

  @Field(() => Int, { nullable: true, description: "Minutes of a live session an attendee may miss and still count as PRESENT (default 10)." })
  attendanceGraceMinutes?: number | null;

  @Field(() => Boolean, { nullable: true, description: "Whether a certificate needs the evaluation (default true)." })
  evaluationRequired?: boolean | null;
  @Field(() => String, { nullable: true, description: "URL template with {reference}; shown in approval and offer emails, the manage page and the widget." })
  paymentUrlTemplate?: string | null;

  @Field(() => String, { nullable: true })
  paymentInstructions?: string | null;
}

@InputType()
export class EventPartnerInput {
  @Field(() => ID)
  organisationId!: string;

  @Field(() => [PartnerRole])
  roles!: PartnerRole[];

  @Field(() => URLScalar, { nullable: true })
  bookingUrl?: string | null;
}

@InputType()
export class EventFilter {
  @Field(() => [EventStatus], { nullable: true })
  status?: EventStatus[] | null;

  @Field(() => DateTimeScalar, { nullable: true })
  startsAfter?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  startsBefore?: Date | null;

  @Field(() => String, { nullable: true })
  organisationSlug?: string | null;

  @Field(() => String, { nullable: true, description: "Words to find in the title, summary or audience." })
  search?: string | null;
}
