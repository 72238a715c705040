import { Field, ID, InterfaceType } from "type-graphql";
import { idKind, type IdKind } from "../../common/ids.js";

const typeNameByKind: Partial<Record<IdKind, string>> = {
  event: "Event",
  session: "Session",
  venue: "Venue",
  organisation: "Organisation",
  registration: "Registration",
  emailDelivery: "EmailDelivery",
  certificate: "Certificate",
  webhookEndpoint: "WebhookEndpoint",
  webhookDelivery: "WebhookDelivery",
};

/** The GraphQL type of an object by its id's prefix. */
export function nodeTypeName(value: { id: string }): string | undefined {
  return typeNameByKind[idKind(value.id) ?? "event"];
}

@InterfaceType({
  description: "An object with a globally unique, opaque id that `node(id:)` resolves.",
  resolveType: nodeTypeName,
})
export abstract class Node {
  @Field(() => ID)
  id!: string;
}
