import { asc, inArray } from "drizzle-orm";
import { loaderById, loaderOfCounts, loaderOfLists } from "../../common/batch.js";
import type { Db } from "../../db/client.js";
import { eligibilityCriteria, eventPartners, events, learningObjectives, prerequisiteCourses, sessions } from "../../db/schema.js";
import { keptRegistrationCountsByEvent } from "../registrations/registration-counts.js";
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
    /** From the kept counts (registration-counts.ts): no registration is read. */
    seatsHeldByEventId: loaderOfCounts((ids) => keptRegistrationCountsByEvent(db, ids, seatHoldingStatuses)),
  };
}
