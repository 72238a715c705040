import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { PageInfo } from "../../common/connection.js";
import { DateTimeScalar, URLScalar } from "../../common/scalars.js";
import { UserError } from "../../common/payload.js";
import { Node } from "../node/node.type.js";
import { Organisation } from "../organisations/organisations.type.js";

export enum WebhookEventType {
  REGISTRATION_CREATED = "REGISTRATION_CREATED",
  REGISTRATION_WAITLISTED = "REGISTRATION_WAITLISTED",
  REGISTRATION_APPROVED = "REGISTRATION_APPROVED",
  REGISTRATION_REJECTED = "REGISTRATION_REJECTED",
  REGISTRATION_CONFIRMED = "REGISTRATION_CONFIRMED",
  REGISTRATION_CANCELLED = "REGISTRATION_CANCELLED",
  WAITLIST_OFFER_MADE = "WAITLIST_OFFER_MADE",
  WAITLIST_OFFER_EXPIRED = "WAITLIST_OFFER_EXPIRED",
  PAYMENT_RECORDED = "PAYMENT_RECORDED",
  COURSE_ACCESS_GRANTED = "COURSE_ACCESS_GRANTED",
  EVENT_UPDATED = "EVENT_UPDATED",
  EVENT_CANCELLED = "EVENT_CANCELLED",
  ATTENDANCE_RECORDED = "ATTENDANCE_RECORDED",
  CERTIFICATE_ISSUED = "CERTIFICATE_ISSUED",
  CERTIFICATE_REVOKED = "CERTIFICATE_REVOKED",
  WEBHOOK_PING = "WEBHOOK_PING",
}

export enum WebhookEndpointStatus {
  ENABLED = "ENABLED",
  FAILING = "FAILING",
  DISABLED = "DISABLED",
}

export enum WebhookDeliveryStatus {
  PENDING = "PENDING",
  RETRYING = "RETRYING",
  SUCCEEDED = "SUCCEEDED",
  FAILED = "FAILED",
}

registerEnumType(WebhookEventType, {
  name: "WebhookEventType",
  description: "What a webhook endpoint subscribes to. On the wire the type is dotted: REGISTRATION_CREATED → registration.created.",
  valuesConfig: {
    ATTENDANCE_RECORDED: { description: "A check-in or check-out was stored: one message per new record (a re-uploaded duplicate sends none). Admins and the event's HOST and DELIVERY_PARTNER only." },
    CERTIFICATE_ISSUED: { description: "A certificate was issued (claimCertificate, the first time only). Admins and the event's HOST and DELIVERY_PARTNER only." },
    CERTIFICATE_REVOKED: { description: "An admin revoked a certificate. Admins and the event's HOST and DELIVERY_PARTNER only." },
  },
});
registerEnumType(WebhookEndpointStatus, {
  name: "WebhookEndpointStatus",
  valuesConfig: {
    FAILING: { description: "Deliveries have failed continuously for a while; still retried." },
    DISABLED: { description: "Not sent to (by an admin or the partner, after a 410 Gone, or after failing too long)." },
  },
});
registerEnumType(WebhookDeliveryStatus, { name: "WebhookDeliveryStatus" });

@ObjectType({ implements: Node, description: "One message to one endpoint, and what became of it (kept 30 days)." })
export class WebhookDelivery extends Node {
  @Field(() => String, { description: "The webhook-id header: the same for every attempt and redelivery of one message." })
  messageId!: string;

  @Field(() => WebhookEventType)
  eventType!: WebhookEventType;

  @Field(() => WebhookDeliveryStatus)
  status!: WebhookDeliveryStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int, { nullable: true })
  lastResponseStatus!: number | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  deliveredAt!: Date | null;

  @Field(() => String, { description: "The JSON body that is (or was) sent." })
  payload!: string;
}

@ObjectType()
export class WebhookDeliveryEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => WebhookDelivery)
  node!: WebhookDelivery;
}

@ObjectType()
export class WebhookDeliveryConnection {
  @Field(() => [WebhookDeliveryEdge])
  edges!: WebhookDeliveryEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

@ObjectType({ implements: Node, description: "Where signed webhook messages (Standard Webhooks) are sent." })
export class WebhookEndpoint extends Node {
  @Field(() => URLScalar)
  url!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => [WebhookEventType])
  eventTypes!: WebhookEventType[];

  @Field(() => Organisation, { nullable: true, description: "The partner that owns it; null for an admin's endpoint, which receives every event." })
  organisation!: Organisation | null;

  @Field(() => WebhookEndpointStatus)
  status!: WebhookEndpointStatus;

  @Field(() => DateTimeScalar, { nullable: true })
  failingSince!: Date | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

@InputType()
export class CreateWebhookEndpointInput {
  @Field(() => URLScalar)
  url!: string;

  @Field(() => [WebhookEventType])
  eventTypes!: WebhookEventType[];

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => ID, { nullable: true, description: "Admins only; a partner's secret key always creates endpoints for its own organisation." })
  organisationId?: string | null;
}

@InputType()
export class UpdateWebhookEndpointInput {
  @Field(() => URLScalar, { nullable: true })
  url?: string | null;

  @Field(() => [WebhookEventType], { nullable: true })
  eventTypes?: WebhookEventType[] | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;
}

@ObjectType()
export class WebhookEndpointPayload {
  @Field(() => WebhookEndpoint, { nullable: true })
  endpoint!: WebhookEndpoint | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class WebhookSecretPayload {
  @Field(() => WebhookEndpoint, { nullable: true })
  endpoint!: WebhookEndpoint | null;

  @Field(() => String, { nullable: true, description: "whsec_…: shown once. Verify deliveries with any Standard Webhooks library." })
  signingSecret!: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
