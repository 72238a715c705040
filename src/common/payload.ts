import { GraphQLError } from "graphql";
import { Field, ObjectType } from "type-graphql";
import { EventBusyError } from "../db/database.js";
import { DomainError, type UserErrorShape } from "./errors.js";
import { UserErrorCode } from "./enums.js";

@ObjectType({ description: "An expected, fixable problem with a mutation's input or the object's state." })
export class UserError {
  @Field(() => [String], { nullable: true, description: 'Path to the offending input field, e.g. ["input", "attendee", "email"].' })
  field!: string[] | null;

  @Field(() => String)
  message!: string;

  @Field(() => UserErrorCode)
  code!: UserErrorCode;
}

/**
 * Runs a service call and maps DomainError to `userErrors`: the one place where expected
 * failures become payload data. An event too busy to lock in time (PostgreSQL's
 * lock_timeout: many processes changing one event at once) is an EVENT_BUSY error that
 * says to retry; nothing was stored. Anything else propagates and is masked.
 */
export async function toPayload<T extends object>(
  run: () => T | Promise<T>,
  /** Non-null payload fields to give when there are userErrors, e.g. `{ ok: false }`. */
  onUserErrors: Partial<T> = {},
): Promise<(T & { userErrors: UserErrorShape[] }) | (Partial<T> & { userErrors: UserErrorShape[] })> {
  try {
    const result = await run();
    return { userErrors: [], ...result };
  } catch (error) {
    if (error instanceof DomainError) return { ...onUserErrors, userErrors: error.errors };
    if (error instanceof EventBusyError) throw new GraphQLError(error.message, { extensions: { code: "EVENT_BUSY", retryAfterSeconds: 1 } });
    throw error;
  }
}
