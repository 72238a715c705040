import "reflect-metadata";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { assertInterfaceType, lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { buildSchemaSync } from "type-graphql";
import { EventResolver } from "./modules/events/events.resolver.js";
import { SessionResolver } from "./modules/events/sessions.resolver.js";
import { NodeResolver } from "./modules/node/node.resolver.js";
import { nodeTypeName } from "./modules/node/node.type.js";
import { OrganisationResolver } from "./modules/organisations/organisations.resolver.js";
import { VenueResolver } from "./modules/venues/venues.resolver.js";
import { RegistrationResolver } from "./modules/registrations/registrations.resolver.js";
import { EventRegistrationsResolver } from "./modules/registrations/event-registrations.resolver.js";
import { EmailDeliveryResolver } from "./modules/emails/emails.resolver.js";
import { NewsletterResolver } from "./modules/newsletter/newsletter.resolver.js";
import { RegistrantSessionResolver } from "./modules/registrant-session/registrant-session.resolver.js";
import { ApiKeyResolver } from "./modules/api-keys/api-keys.resolver.js";
import { AttendanceResolver, CertificateResolver, RegistrationAttendanceResolver } from "./modules/attendance/attendance.resolver.js";
import { WebhookEndpointResolver } from "./modules/webhooks/webhooks.resolver.js";

export const schemaFile = fileURLToPath(new URL("../schema/schema.graphql", import.meta.url));

let built: GraphQLSchema | undefined;

/** The executable schema; built once per process (type-graphql metadata is global). */
export function buildAppSchema(): GraphQLSchema {
  built ??= buildSchemaSync({
    resolvers: [
      NodeResolver,
      EventResolver,
      SessionResolver,
      VenueResolver,
      OrganisationResolver,
      RegistrationResolver,
      EventRegistrationsResolver,
      EmailDeliveryResolver,
      NewsletterResolver,
      RegistrantSessionResolver,
      ApiKeyResolver,
      AttendanceResolver,
      RegistrationAttendanceResolver,
      CertificateResolver,
      WebhookEndpointResolver,
    ],
    validate: false,
    emitSchemaFile: false,
  });
  // type-graphql wraps every resolveType in an async function; compiled execution
  // (server/compiled-execution.ts) needs the type at once, as graphql-js allows.
  assertInterfaceType(built.getType("Node")).resolveType = nodeTypeName;
  return built;
}

/** The SDL committed as schema/schema.graphql: sorted, so diffs show real changes only. */
export function printAppSchema(): string {
  return printSchema(lexicographicSortSchema(buildAppSchema())) + "\n";
}

export function emitSchema(): void {
  writeFileSync(schemaFile, printAppSchema());
}
