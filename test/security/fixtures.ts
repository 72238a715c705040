import { getTableName, is, Table } from "drizzle-orm";
import * as tables from "../../src/db/tables.js";
import { countRows } from "../helpers/db.js";
import type { TestServer } from "../helpers/server.js";

/* Partners, keys and their roles on events, set up through the admin API. */

export const CREATE_ORGANISATION = /* GraphQL */ `
  mutation ($input: OrganisationInput!) { createOrganisation(input: $input) { organisation { id slug } userErrors { code message } } }
`;

export const SET_PARTNERS = /* GraphQL */ `
  mutation ($eventId: ID!, $partners: [EventPartnerInput!]!) { setEventPartners(eventId: $eventId, partners: $partners) { userErrors { code message } } }
`;

export const CREATE_API_KEY = /* GraphQL */ `
  mutation ($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      key
      apiKey { id kind name prefix allowedOrigins createdAt lastUsedAt revokedAt organisation { id slug } }
      userErrors { field message code }
    }
  }
`;

export const REVOKE_API_KEY = /* GraphQL */ `
  mutation ($id: ID!) { revokeApiKey(id: $id) { apiKey { id revokedAt } userErrors { field message code } } }
`;

export async function createPartner(server: TestServer, slug: string): Promise<string> {
  const { data, errors } = await server.admin(CREATE_ORGANISATION, { input: { slug, name: `Partner ${slug}` } });
  if (!data?.createOrganisation?.organisation) throw new Error(`createOrganisation failed: ${JSON.stringify(errors ?? data)}`);
  return data.createOrganisation.organisation.id;
}

export async function setPartners(server: TestServer, eventId: string, partners: { organisationId: string; roles: string[] }[]): Promise<void> {
  const { data, errors } = await server.admin(SET_PARTNERS, { eventId, partners });
  if (!data?.setEventPartners || data.setEventPartners.userErrors.length) throw new Error(`setEventPartners failed: ${JSON.stringify(errors ?? data)}`);
}

export async function createKey(
  server: TestServer,
  input: { kind: "ADMIN" | "PUBLISHABLE" | "SECRET"; name?: string; organisationId?: string; allowedOrigins?: string[] },
): Promise<{ key: string; id: string }> {
  const { data, errors } = await server.admin(CREATE_API_KEY, { input: { name: `${input.kind.toLowerCase()} test key`, ...input } });
  if (!data?.createApiKey?.key) throw new Error(`createApiKey failed: ${JSON.stringify(errors ?? data)}`);
  return { key: data.createApiKey.key, id: data.createApiKey.apiKey.id };
}

/** Row counts of every data table, on either dialect: equal before and after means nothing changed. */
export async function rowCounts(server: TestServer): Promise<Record<string, number>> {
  const names = Object.values(tables)
    .filter((value) => is(value, Table))
    .map((table) => getTableName(table as Table))
    .sort();
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await countRows(server, name)] as const)));
}
