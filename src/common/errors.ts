import { GraphQLError } from "graphql";

export type UserErrorCode =
  | "INVALID"
  | "REQUIRED"
  | "TOO_LONG"
  | "NOT_ELIGIBLE"
  | "ALREADY_REGISTERED"
  | "EVENT_FULL"
  | "REGISTRATION_CLOSED"
  | "INVALID_STATE"
  | "NOT_FOUND"
  | "RATE_LIMITED"
  | "IDEMPOTENCY_CONFLICT"
  | "NOT_YET_EARNED"
  | "OVERPAYMENT"
  | "URL_NOT_ALLOWED";

export interface UserErrorShape {
  field: string[] | null;
  message: string;
  code: UserErrorCode;
}

/**
 * An expected, user-fixable failure raised by a service. Resolvers turn it into the
 * payload's `userErrors`; it never becomes a GraphQL error.
 */
export class DomainError extends Error {
  readonly errors: UserErrorShape[];

  constructor(code: UserErrorCode, message: string, field?: string[]);
  constructor(errors: UserErrorShape[]);
  constructor(codeOrErrors: UserErrorCode | UserErrorShape[], message?: string, field?: string[]) {
    const errors = Array.isArray(codeOrErrors) ? codeOrErrors : [{ code: codeOrErrors, message: message!, field: field ?? null }];
    super(errors.map((error) => error.message).join("; "));
    this.errors = errors;
  }
}

/** Collects validation failures so one response names all of them. */
export class UserErrorList {
  readonly errors: UserErrorShape[] = [];

  add(code: UserErrorCode, message: string, field: string[]): void {
    this.errors.push({ code, message, field });
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw new DomainError(this.errors);
  }
}

/** Where an admin gets a key: part of the 401/403 answers an admin or integrator meets (not the registrant-facing ones). */
export const ADMIN_KEY_HINT =
  "Admins send an admin key as `Authorization: Bearer ak_…`: `npm start` prints a local one outside production, and `npm run keys -- create --admin` makes one anywhere.";

export function unauthenticated(
  message = `This operation needs credentials: send \`Authorization: Bearer <key or token>\` (a partner key, or a registrant's manage or session token). ${ADMIN_KEY_HINT}`,
): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
}

export function forbidden(message = "You are not allowed to do this."): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "FORBIDDEN", http: { status: 403 } } });
}

export function badUserInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } });
}
