import { asc } from "drizzle-orm";
import { loaderById, loaderOfCounts, loaderOfLists } from "../../common/batch.js";
import type { Db } from "../../db/database.js";
import { inList, listParam, preparedPerDatabase } from "../../db/prepared.js";
import { eligibilityCriteria, eventPartners, events, learningObjectives, prerequisiteCourses, sessions } from "../../db/tables.js";
import { countsByEventStatement } from "../registrations/registration-counts.js";
import { seatHoldingStatuses, type EventRow } from "./event-rules.js";

/** The loaders' statements, prepared once per database; each takes `{ ids }` (see listParam). */
const eventQueries = preparedPerDatabase((db) => ({
  eventsById: db.select().from(events).where(inList(events.id)).prepare(),
  sessionsByEventId: db.select().from(sessions).where(inList(sessions.eventId)).orderBy(asc(sessions.position)).prepare(),
  sessionsById: db.select().from(sessions).where(inList(sessions.id)).prepare(),
  partnersByEventId: db.select().from(eventPartners).where(inList(eventPartners.eventId)).orderBy(asc(eventPartners.position)).prepare(),
  objectivesByEventId: db.select().from(learningObjectives).where(inList(learningObjectives.eventId)).orderBy(asc(learningObjectives.position)).prepare(),
  criteriaByEventId: db.select().from(eligibilityCriteria).where(inList(eligibilityCriteria.eventId)).orderBy(asc(eligibilityCriteria.position)).prepare(),
  criteriaById: db.select().from(eligibilityCriteria).where(inList(eligibilityCriteria.id)).prepare(),
  prerequisitesByEventId: db.select().from(prerequisiteCourses).where(inList(prerequisiteCourses.eventId)).prepare(),
}));

const seatsHeldStatement = countsByEventStatement(seatHoldingStatuses);

export function createEventLoaders(db: Db) {
  const q = eventQueries(db);
  const run = <T>(query: { all(values: { ids: string }): Promise<T[]> }) => (ids: readonly string[]) => query.all({ ids: listParam(ids) });
  const loadedEvents = new Map<string, EventRow>();
  const eventById = loaderById(async (ids) => {
    const rows = await q.eventsById.all({ ids: listParam(ids) });
    for (const row of rows) loadedEvents.set(row.id, row);
    return rows;
  }, (row) => row.id);
  return {
    eventById,
    /**
     * An event this request has already read, or undefined: fields that need a column of
     * their event (a session's zone) then answer at once, without a promise each.
     */
    loadedEvent: (id: string): EventRow | undefined => loadedEvents.get(id),
    /** Primes eventById with a row read another way (a listing, a lookup by slug). */
    primeEvent(row: EventRow): void {
      loadedEvents.set(row.id, row);
      eventById.prime(row.id, row);
    },
    sessionsByEventId: loaderOfLists(run(q.sessionsByEventId), (row) => row.eventId),
    sessionById: loaderById(run(q.sessionsById), (row) => row.id),
    partnersByEventId: loaderOfLists(run(q.partnersByEventId), (row) => row.eventId),
    objectivesByEventId: loaderOfLists(run(q.objectivesByEventId), (row) => row.eventId),
    criteriaByEventId: loaderOfLists(run(q.criteriaByEventId), (row) => row.eventId),
    criterionById: loaderById(run(q.criteriaById), (row) => row.id),
    prerequisiteByEventId: loaderById(run(q.prerequisitesByEventId), (row) => row.eventId),
    /** From the kept counts (registration-counts.ts): no registration is read. */
    seatsHeldByEventId: loaderOfCounts((ids) => seatsHeldStatement(db).all({ ids: listParam(ids) })),
  };
}
