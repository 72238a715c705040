import { Field, Int, ObjectType } from "type-graphql";
import { PageInfo } from "../../common/connection.js";
import { EmailKind, EmailStatus } from "../../common/enums.js";
import { DateTimeScalar, EmailAddressScalar } from "../../common/scalars.js";
import { Node } from "../node/node.type.js";

@ObjectType({ implements: Node, description: "One email in the outbox and what became of it." })
export class EmailDelivery extends Node {
  @Field(() => EmailKind)
  kind!: EmailKind;

  @Field(() => EmailAddressScalar)
  to!: string;

  @Field(() => String)
  subject!: string;

  @Field(() => EmailStatus)
  status!: EmailStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  sentAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "When the next attempt is due, while QUEUED or RETRYING." })
  nextAttemptAt!: Date | null;

  @Field(() => String, { description: "The Message-ID header every attempt of this delivery carries." })
  messageId!: string;
}

@ObjectType()
export class EmailDeliveryEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => EmailDelivery)
  node!: EmailDelivery;
}

@ObjectType()
export class EmailDeliveryConnection {
  @Field(() => [EmailDeliveryEdge])
  edges!: EmailDeliveryEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}
