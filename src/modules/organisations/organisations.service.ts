import { and, count, eq, exists, ne, sql, type SQL } from "drizzle-orm";
import { decodeCursor, pageSize, toConnection, type Connection } from "../../common/connection.js";
import { DomainError } from "../../common/errors.js";
import { newId } from "../../common/ids.js";
import { InputChecker, limits, slugPattern } from "../../common/validate.js";
import type { Db, Reads } from "../../db/database.js";
import { byNameThenId } from "../../db/keyset.js";
import type { Loaders } from "../../context.js";
import type { EventRow } from "../events/event-rules.js";
import type { OrganisationEventsKey } from "./organisations.loaders.js";
import { eventPartners, events, organisations } from "../../db/tables.js";
import type { Deps } from "../../deps.js";
import type { OrganisationInput } from "./organisations.inputs.js";
import type { OrganisationRow } from "./organisations.type.js";

/** Checked in the transaction that writes: on PostgreSQL the slug's unique index still refuses a twin committed meanwhile. */
async function checkOrganisation(db: Reads, input: OrganisationInput, id: string | null) {
  const check = new InputChecker();
  const slug = check.requiredText(["input", "slug"], input.slug, limits.slug);
  if (slug && !slugPattern.test(slug)) check.add("INVALID", "slug may contain only lower-case letters, digits and single hyphens.", ["input", "slug"]);
  const values = {
    slug,
    name: check.requiredText(["input", "name"], input.name, limits.title),
    website: input.website ?? null,
    email: input.email ?? null,
    phone: check.phone(["input", "phone"], input.phone),
  };
  const taken = await db
    .select({ id: organisations.id })
    .from(organisations)
    .where(id ? and(eq(organisations.slug, slug), ne(organisations.id, id)) : eq(organisations.slug, slug))
    .get();
  if (taken) check.add("INVALID", `The slug "${slug}" is taken by another organisation.`, ["input", "slug"]);
  check.throwIfAny();
  return values;
}

export function createOrganisation(deps: Deps, input: OrganisationInput): Promise<OrganisationRow> {
  return deps.db.transaction(async (tx) => {
    const values = await checkOrganisation(tx, input, null);
    const now = deps.clock.now();
    return (await tx.insert(organisations).values({ id: newId("organisation"), ...values, createdAt: now, updatedAt: now }).returning().get())!;
  });
}

export function updateOrganisation(deps: Deps, id: string, input: OrganisationInput): Promise<OrganisationRow> {
  return deps.db.transaction(async (tx) => {
    const exists = await tx.select({ id: organisations.id }).from(organisations).where(eq(organisations.id, id)).get();
    if (!exists) throw new DomainError("NOT_FOUND", "No organisation has this id.", ["id"]);
    const values = await checkOrganisation(tx, input, id);
    return (await tx.update(organisations).set({ ...values, updatedAt: deps.clock.now() }).where(eq(organisations.id, id)).returning().get())!;
  });
}

export interface ListOrganisationsOptions {
  first?: number | null;
  after?: string | null;
  /** Admins see every organisation; others only those taking part in an event that is not a draft. */
  includeUnpublished: boolean;
}

/** Organisations by name (case-insensitive), keyset-paginated on (lower(name), id). */
export async function listOrganisations(db: Db, options: ListOrganisationsOptions): Promise<Connection<OrganisationRow>> {
  const size = pageSize(options.first);
  const after = decodeCursor("organisations", options.after);
  const order = byNameThenId(organisations.name, organisations.id, after);
  const where = options.includeUnpublished ? undefined : partnerInPublicEvent(db);
  const rows = await db.select().from(organisations).where(and(where, order.after)).orderBy(...order.orderBy).limit(size + 1).all();
  return toConnection("organisations", rows, size, after, (row) => [row.name, row.id], async () => (await db.select({ n: count() }).from(organisations).where(where).get())!.n);
}

function partnerInPublicEvent(db: Reads): SQL {
  return exists(
    db
      .select({ one: sql`1` })
      .from(eventPartners)
      .innerJoin(events, eq(events.id, eventPartners.eventId))
      .where(and(eq(eventPartners.organisationId, organisations.id), ne(events.status, "DRAFT"))),
  );
}

/** The first page of an organisation's events, through the request's loaders: one statement for every organisation asked about. */
export async function firstPageOfOrganisationEvents(loaders: Loaders, key: OrganisationEventsKey, first: number | null | undefined): Promise<Connection<EventRow>> {
  const size = pageSize(first);
  const ids = await loaders.organisationEventPageIds.load({ ...key, size });
  const rows = (await loaders.eventById.loadMany(ids)).filter((row): row is EventRow => row !== null && !(row instanceof Error));
  return toConnection("events", rows, size, null, (row) => [row.startsAt.getTime(), row.id], () => loaders.organisationEventCount.load(key));
}
