import { and, asc, count, inArray } from "drizzle-orm";
import { loaderById, loaderOfCounts, loaderOfLists } from "../../common/batch.js";
import type { Db } from "../../db/client.js";
import { eligibilityCriteria, eventPartners, events, learningObjectives, prerequisiteCourses, registrations, sessions } from "../../db/schema.js";
import { seatHoldingStatuses } from "./event-rules.js";

export function createEventLoaders(db: Db) {
  return {
    eventById: loaderById((ids) => db.select().from(events).where(inArray(events.id, [...ids])).all(), (row) => row.id),
    sessionsByEventId: loaderOfLists(
      (ids) => db.select().from(sessions).where(inArray(sessions.eventId, [...ids])).orderBy(asc(sessions.position)).all(),
      (row) => row.eventId,
    ),
    sessionById: loaderById((ids) => db.select().from(sessions).where(inArray(sessions.id, [...ids])).all(), (row) => row.id),
    partnersByEventId: loaderOfLists(
      (ids) => db.select().from(eventPartners).where(inArray(eventPartners.eventId, [...ids])).orderBy(asc(eventPartners.position)).all(),
      (row) => row.eventId,
    ),
    objectivesByEventId: loaderOfLists(
      (ids) => db.select().from(learningObjectives).where(inArray(learningObjectives.eventId, [...ids])).orderBy(asc(learningObjectives.position)).all(),
      (row) => row.eventId,
    ),
    criteriaByEventId: loaderOfLists(
      (ids) => db.select().from(eligibilityCriteria).where(inArray(eligibilityCriteria.eventId, [...ids])).orderBy(asc(eligibilityCriteria.position)).all(),
      (row) => row.eventId,
    ),
    criterionById: loaderById((ids) => db.select().from(eligibilityCriteria).where(inArray(eligibilityCriteria.id, [...ids])).all(), (row) => row.id),
    prerequisiteByEventId: loaderById((ids) => db.select().from(prerequisiteCourses).where(inArray(prerequisiteCourses.eventId, [...ids])).all(), (row) => row.eventId),
    seatsHeldByEventId: loaderOfCounts((ids) =>
      db
        .select({ key: registrations.eventId, n: count() })
        .from(registrations)
        .where(and(inArray(registrations.eventId, [...ids]), inArray(registrations.status, [...seatHoldingStatuses])))
        .groupBy(registrations.eventId)
        .all(),
    ),
  };
}
