import { Field, ObjectType } from "type-graphql";
import { UserError } from "../../common/payload.js";
import { Event } from "./events.type.js";

@ObjectType()
export class EventPayload {
  @Field(() => Event, { nullable: true })
  event?: Event | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
