import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from "graphql";
import { DateResolver, DateTimeResolver, EmailAddressResolver, TimeZoneResolver } from "graphql-scalars";
import { instantToLocalDate, isValidTimeZone, parseLocalDateTime } from "./time.js";
import { forbiddenCharacter } from "./validate.js";

/*
 * Scalars from graphql-scalars where their meaning matches the contract; LocalDateTime
 * (a wall-clock time without offset), URL (http(s) only, kept as a string) and
 * TimeZone (IANA names as the runtime knows them) are defined here.
 */

export const DateTimeScalar = DateTimeResolver;
export const EmailAddressScalar = EmailAddressResolver;

function stringLiteral(name: string, ast: ValueNode): string {
  if (ast.kind !== Kind.STRING) throw new GraphQLError(`${name} must be a string`, { nodes: ast });
  return ast.value;
}

function validateLocalDateTime(value: unknown): string {
  if (typeof value !== "string") throw new GraphQLError("LocalDateTime must be a string like 2023-10-04T08:30");
  try {
    parseLocalDateTime(value);
  } catch (error) {
    throw new GraphQLError(`LocalDateTime: ${(error as Error).message}`);
  }
  return value;
}

export const LocalDateTimeScalar = new GraphQLScalarType({
  name: "LocalDateTime",
  description: "A wall-clock date and time without offset, read in the event's time zone, e.g. 2023-10-04T08:30.",
  serialize: (value) => validateLocalDateTime(value),
  parseValue: (value) => validateLocalDateTime(value),
  parseLiteral: (ast) => validateLocalDateTime(stringLiteral("LocalDateTime", ast)),
});

/** Calendar dates (2023-10-04), validated by graphql-scalars; served as strings. */
export const DateScalar = new GraphQLScalarType({
  name: "Date",
  description: "A calendar date, e.g. 2023-10-04.",
  serialize: (value) => (value instanceof Date ? instantToLocalDate(value, "UTC") : DateResolver.serialize(value)),
  parseValue: (value) => instantToLocalDate(DateResolver.parseValue(value) as Date, "UTC"),
  parseLiteral: (ast, variables) => instantToLocalDate(DateResolver.parseLiteral(ast, variables) as Date, "UTC"),
});

function validateTimeZone(value: unknown): string {
  if (typeof value !== "string" || !isValidTimeZone(value)) {
    throw new GraphQLError(`TimeZone must be an IANA time zone such as America/Los_Angeles, got ${JSON.stringify(value)}`);
  }
  return value;
}

export const TimeZoneScalar = new GraphQLScalarType({
  name: "TimeZone",
  description: TimeZoneResolver.description ?? "An IANA time zone, e.g. America/Los_Angeles.",
  serialize: (value) => validateTimeZone(value),
  parseValue: (value) => validateTimeZone(value),
  parseLiteral: (ast) => validateTimeZone(stringLiteral("TimeZone", ast)),
});

export const MAX_URL_LENGTH = 2048;

function validateUrl(value: unknown): string {
  if (typeof value !== "string") throw new GraphQLError("URL must be a string");
  if (value.length > MAX_URL_LENGTH) throw new GraphQLError(`URL must be at most ${MAX_URL_LENGTH} characters`);
  // The URL parser silently drops tabs and line breaks, but the value is stored as given and
  // ends up in emails and calendar files: spaces must be %20, controls are refused.
  if (/[\s\u0000-\u001F\u007F-\u009F]/u.test(value) || forbiddenCharacter(value, "single-line")) {
    throw new GraphQLError("URL may not contain spaces, line breaks or control characters (encode a space as %20)");
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new GraphQLError(`URL is not a valid absolute URL: ${JSON.stringify(value.slice(0, 100))}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new GraphQLError("URL must use http or https");
  return value;
}

export const URLScalar = new GraphQLScalarType({
  name: "URL",
  description: "An absolute http(s) URL.",
  serialize: (value) => (value instanceof URL ? value.href : validateUrl(value)),
  parseValue: (value) => validateUrl(value),
  parseLiteral: (ast) => validateUrl(stringLiteral("URL", ast)),
});
