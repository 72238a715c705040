import DataLoader from "dataloader";
import { and, count, eq, inArray, lte, ne, sql } from "drizzle-orm";
import { loaderById } from "../../common/batch.js";
import type { Db } from "../../db/database.js";
import { inList, listParam, preparedPerDatabase } from "../../db/prepared.js";
import { eventPartners, events, organisations } from "../../db/tables.js";

/** Which events of an organisation a caller may list: admins also see drafts. */
export interface OrganisationEventsKey {
  organisationId: string;
  includeDrafts: boolean;
}

/** Key of a first page of Organisation.events: `size + 1` rows tell whether more exist. */
export interface OrganisationEventPageKey extends OrganisationEventsKey {
  size: number;
}

const pageKey = (key: OrganisationEventPageKey) => `${key.includeDrafts}:${key.size}:${key.organisationId}`;
const countKey = (key: OrganisationEventsKey) => `${key.includeDrafts}:${key.organisationId}`;

/** Groups keys that differ only in their organisation, so each group is one statement. */
function groupByOrganisation<K extends OrganisationEventsKey>(keys: readonly K[], groupOf: (key: K) => string): Map<string, { sample: K; organisationIds: string[] }> {
  const groups = new Map<string, { sample: K; organisationIds: string[] }>();
  for (const key of keys) {
    const group = groups.get(groupOf(key)) ?? { sample: key, organisationIds: [] };
    group.organisationIds.push(key.organisationId);
    groups.set(groupOf(key), group);
  }
  return groups;
}

const organisationQueries = preparedPerDatabase((db) => ({
  organisationsById: db.select().from(organisations).where(inList(organisations.id)).prepare(),
}));

export function createOrganisationLoaders(db: Db) {
  const q = organisationQueries(db);
  const visible = (includeDrafts: boolean) => (includeDrafts ? undefined : ne(events.status, "DRAFT"));
  return {
    organisationById: loaderById(async (ids) => q.organisationsById.all({ ids: listParam(ids) }), (row) => row.id),

    /**
     * The ids of the first page of events of many organisations at once (in start order,
     * as listEvents), so `organisations { events }` costs one statement, not one per row.
     */
    organisationEventPageIds: new DataLoader<OrganisationEventPageKey, string[], string>(
      async (keys) => {
        const pages = new Map<string, string[]>();
        for (const { sample, organisationIds } of groupByOrganisation(keys, (key) => `${key.includeDrafts}:${key.size}`).values()) {
          const ranked = db
            .select({
              organisationId: eventPartners.organisationId,
              eventId: sql<string>`${events.id}`.as("event_id"),
              rank: sql<number>`row_number() over (partition by ${eventPartners.organisationId} order by ${events.startsAt}, ${events.id})`.as("rank"),
            })
            .from(eventPartners)
            .innerJoin(events, eq(events.id, eventPartners.eventId))
            .where(and(inArray(eventPartners.organisationId, organisationIds), visible(sample.includeDrafts)))
            .as("ranked");
          const rows = await db.select({ organisationId: ranked.organisationId, eventId: ranked.eventId }).from(ranked).where(lte(ranked.rank, sample.size + 1)).orderBy(ranked.organisationId, sql`"rank"`).all();
          for (const organisationId of organisationIds) pages.set(pageKey({ ...sample, organisationId }), []);
          for (const row of rows) pages.get(pageKey({ ...sample, organisationId: row.organisationId }))!.push(row.eventId);
        }
        return keys.map((key) => pages.get(pageKey(key)) ?? []);
      },
      { cacheKeyFn: pageKey },
    ),

    /** How many events each organisation takes part in (totalCount), in one statement per batch. */
    organisationEventCount: new DataLoader<OrganisationEventsKey, number, string>(
      async (keys) => {
        const counts = new Map<string, number>();
        for (const { sample, organisationIds } of groupByOrganisation(keys, (key) => String(key.includeDrafts)).values()) {
          const rows = await db
            .select({ organisationId: eventPartners.organisationId, n: count() })
            .from(eventPartners)
            .innerJoin(events, eq(events.id, eventPartners.eventId))
            .where(and(inArray(eventPartners.organisationId, organisationIds), visible(sample.includeDrafts)))
            .groupBy(eventPartners.organisationId)
            .all();
          for (const row of rows) counts.set(countKey({ ...sample, organisationId: row.organisationId }), row.n);
        }
        return keys.map((key) => counts.get(countKey(key)) ?? 0);
      },
      { cacheKeyFn: countKey },
    ),
  };
}
