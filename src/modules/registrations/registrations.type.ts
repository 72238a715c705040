import { Directive, Field, ID, Int, ObjectType } from "type-graphql";
import { privateHint } from "../../cache/cache-hints.js";
import { PageInfo } from "../../common/connection.js";
import { AccessGrantStatus, Profession, RegistrationStatus } from "../../common/enums.js";
import { UserError } from "../../common/payload.js";
import { DateTimeScalar, EmailAddressScalar } from "../../common/scalars.js";
import { EligibilityCriterion, Money } from "../events/events.type.js";
import { Node } from "../node/node.type.js";

@ObjectType()
export class Attendee {
  @Field(() => String)
  firstName!: string;

  @Field(() => String)
  lastName!: string;

  @Field(() => EmailAddressScalar)
  email!: string;

  @Field(() => String, { nullable: true })
  phone!: string | null;

  @Field(() => Profession)
  profession!: Profession;

  @Field(() => String, { nullable: true })
  professionOther!: string | null;

  @Field(() => String, { nullable: true })
  employer!: string | null;

  @Field(() => String, { nullable: true })
  jobTitle!: string | null;
}

@ObjectType()
export class EligibilityAnswer {
  @Field(() => EligibilityCriterion)
  criterion!: EligibilityCriterion;

  @Field(() => Boolean)
  met!: boolean;

  @Field(() => String, { nullable: true })
  details!: string | null;
}

@ObjectType()
export class Payment {
  @Field(() => ID)
  id!: string;

  @Field(() => Money)
  amount!: Money;

  @Field(() => String)
  method!: string;

  @Field(() => String, { nullable: true })
  reference!: string | null;

  @Field(() => DateTimeScalar)
  receivedAt!: Date;
}

@ObjectType()
export class PaymentSummary {
  @Field(() => Money)
  amountDue!: Money;

  @Field(() => Money)
  amountPaid!: Money;

  @Field(() => Boolean)
  paidInFull!: boolean;

  @Field(() => [Payment])
  payments!: Payment[];
}

@ObjectType({ description: "Access to the prerequisite online course." })
export class AccessGrant {
  @Field(() => AccessGrantStatus)
  status!: AccessGrantStatus;

  @Field(() => DateTimeScalar, { nullable: true })
  scheduledFor!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  grantedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  earlyAccessRequestedAt!: Date | null;

  @Field(() => String, { nullable: true })
  earlyAccessReason!: string | null;
}

@ObjectType({ description: "One entry of a registration's audit timeline." })
export class RegistrationChange {
  @Field(() => DateTimeScalar)
  at!: Date;

  @Field(() => String, { description: 'Who made the change: "admin:key_…", "partner:org_…", "registrant", "public" or "system".' })
  actor!: string;

  @Field(() => String, { description: "What happened, e.g. REGISTERED, APPROVED, PAYMENT_RECORDED, CANCELLED, PROMOTED, OFFER_LAPSED." })
  action!: string;

  @Field(() => RegistrationStatus, { nullable: true })
  fromStatus!: RegistrationStatus | null;

  @Field(() => RegistrationStatus, { nullable: true })
  toStatus!: RegistrationStatus | null;

  @Field(() => String, { nullable: true })
  note!: string | null;
}

@ObjectType({ implements: Node, description: "A person's application for a place on an event." })
@Directive(privateHint)
export class Registration extends Node {
  @Field(() => String, { description: "Short human-readable reference for phone and email enquiries." })
  reference!: string;

  @Field(() => RegistrationStatus)
  status!: RegistrationStatus;

  @Field(() => String, { nullable: true })
  accessibilityNeeds!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  prerequisiteCompletedAt!: Date | null;

  @Field(() => String, { nullable: true })
  reviewNote!: string | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  cancelledAt!: Date | null;

  @Field(() => String, { nullable: true })
  cancelReason!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "A place offered from the waitlist passes on at this instant unless approved or paid." })
  offerExpiresAt!: Date | null;
}

@ObjectType()
export class RegistrationEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Registration)
  node!: Registration;
}

@ObjectType()
export class RegistrationConnection {
  @Field(() => [RegistrationEdge])
  edges!: RegistrationEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

@ObjectType()
export class RegisterPayload {
  @Field(() => Registration, { nullable: true })
  registration?: Registration | null;

  @Field(() => String, { nullable: true, description: "Secret for the registrant to manage this registration (shown once; also emailed as a link)." })
  manageToken?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class RegistrationPayload {
  @Field(() => Registration, { nullable: true })
  registration?: Registration | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
