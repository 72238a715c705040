import { Directive, Field, Float, ID, Int, ObjectType } from "type-graphql";
import { catalogueHint, liveHint, partOfParentHint } from "../../cache/cache-hints.js";
import { PageInfo } from "../../common/connection.js";
import { EventFormat, EventStatus, PartnerRole, SessionKind } from "../../common/enums.js";
import { DateTimeScalar, EmailAddressScalar, TimeZoneScalar, URLScalar } from "../../common/scalars.js";
import { Node } from "../node/node.type.js";
import { Organisation } from "../organisations/organisations.type.js";

@ObjectType()
@Directive(partOfParentHint)
export class Money {
  @Field(() => Int, { description: "Amount in the currency's minor unit (cents, pence)." })
  amountMinor!: number;

  @Field(() => String, { description: "ISO 4217 code, e.g. USD." })
  currency!: string;

  @Field(() => String, { description: "Human-readable, e.g. $1,250.00." })
  formatted!: string;
}

@ObjectType({ description: "Where and how a registrant pays, when a partner takes the payment on its own site." })
@Directive(partOfParentHint)
export class PaymentInstructions {
  @Field(() => String, { nullable: true, description: "Template with {reference}, e.g. https://partner.example/pay?ref={reference}." })
  urlTemplate!: string | null;

  @Field(() => String, { nullable: true })
  instructions!: string | null;
}

@ObjectType({ description: "Who to ask about the event." })
@Directive(partOfParentHint)
export class Contact {
  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => EmailAddressScalar, { nullable: true })
  email!: string | null;

  @Field(() => String, { nullable: true })
  phone!: string | null;
}

@ObjectType()
@Directive(partOfParentHint)
export class LearningObjective {
  @Field(() => Int)
  position!: number;

  @Field(() => String)
  text!: string;
}

@ObjectType({ description: "A pre-entry criterion applicants answer when they register." })
@Directive(partOfParentHint)
export class EligibilityCriterion {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  position!: number;

  @Field(() => String)
  text!: string;

  @Field(() => Boolean, { description: "False for criteria that are only desirable." })
  required!: boolean;
}

@ObjectType({ description: "An online course registrants must complete before the event starts." })
@Directive(partOfParentHint)
export class PrerequisiteCourse {
  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => Float, { nullable: true })
  durationHours!: number | null;

  @Field(() => URLScalar, { nullable: true })
  url!: string | null;

  @Field(() => DateTimeScalar, { description: "When access opens for registrants who have paid in full (event start minus the access lead time)." })
  accessOpensAt!: Date;

  @Field(() => DateTimeScalar, { description: "Must be completed before this instant (the event's start)." })
  completeBy!: Date;

  @Field(() => Int, { nullable: true, description: "Days before the start that access opens; null means one calendar month." })
  accessLeadDays!: number | null;
}

@ObjectType()
@Directive(partOfParentHint)
export class EventPartner {
  @Field(() => Organisation)
  organisation!: Organisation;

  @Field(() => [PartnerRole])
  roles!: PartnerRole[];

  @Field(() => URLScalar, { nullable: true, description: "Where this partner takes bookings, if it does." })
  bookingUrl!: string | null;
}

@ObjectType({ implements: Node, description: "A dated block of an event, stored as UTC instants and shown in the event's zone." })
@Directive(catalogueHint)
export class Session extends Node {
  @Field(() => String)
  title!: string;

  @Field(() => SessionKind)
  kind!: SessionKind;

  @Field(() => DateTimeScalar)
  startsAt!: Date;

  @Field(() => DateTimeScalar)
  endsAt!: Date;
}

@ObjectType({ description: "How continuing-education credit is awarded for an event (e.g. APA CE hours for psychologists)." })
@Directive(partOfParentHint)
export class CreditDesignation {
  @Field(() => String, { description: 'Name of the credit, e.g. "CE hours (APA)".' })
  name!: string;

  @Field(() => Float, { description: "The most credit one attendee can earn." })
  maxCredits!: number;

  @Field(() => Float, { description: "Credit is awarded in steps of this size (e.g. 0.25), for the time actually attended." })
  increment!: number;

  @Field(() => String, { nullable: true, description: "Accreditation / joint-providership statement printed on the certificate." })
  statement!: string | null;
}

@ObjectType({ implements: Node, description: "A training course run: its programme, sessions, partners and registration terms." })
@Directive(catalogueHint)
export class Event extends Node {
  @Field(() => String)
  slug!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true })
  summary!: string | null;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => String, { nullable: true })
  audience!: string | null;

  @Field(() => EventFormat)
  format!: EventFormat;

  @Field(() => EventStatus)
  @Directive(liveHint)
  status!: EventStatus;

  @Field(() => TimeZoneScalar)
  timeZone!: string;

  @Field(() => DateTimeScalar, { description: "Start of the first session." })
  startsAt!: Date;

  @Field(() => DateTimeScalar, { description: "End of the last session." })
  endsAt!: Date;

  @Field(() => Float, { nullable: true })
  liveHours!: number | null;

  @Field(() => Float, { nullable: true })
  selfGuidedHours!: number | null;

  @Field(() => String, { nullable: true, description: 'e.g. "1 month programme".' })
  programmeLength!: string | null;

  @Field(() => Int, { nullable: true, description: "Seats; null means unlimited." })
  capacity!: number | null;

  @Field(() => Boolean)
  waitlistEnabled!: boolean;

  @Field(() => Boolean, { description: "New registrations wait for an admin's review of their eligibility." })
  requiresReview!: boolean;

  @Field(() => Int, { description: "Hours a place offered from the waitlist is held before it passes to the next in line." })
  offerWindowHours!: number;

  @Field(() => DateTimeScalar, { nullable: true })
  registrationOpensAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  registrationClosesAt!: Date | null;

  @Field(() => URLScalar, { nullable: true, description: "Where bookings are taken, when a partner takes them on its own site." })
  bookingUrl!: string | null;

  @Field(() => String, { nullable: true })
  @Directive(liveHint)
  cancelReason!: string | null;

  @Field(() => Int, { description: "Minutes of a live session an attendee may miss and still count as PRESENT." })
  attendanceGraceMinutes!: number;

  @Field(() => Boolean, { description: "Whether a certificate needs the evaluation to be submitted." })
  evaluationRequired!: boolean;
}

@ObjectType()
@Directive(partOfParentHint)
export class EventEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Event)
  node!: Event;
}

@ObjectType()
@Directive(catalogueHint)
export class EventConnection {
  @Field(() => [EventEdge])
  edges!: EventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}
