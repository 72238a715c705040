import { asc, inArray } from "drizzle-orm";
import { loaderById, loaderOfLists } from "../../common/batch.js";
import type { Db } from "../../db/client.js";
import { attendanceOverrides, attendanceRecords, certificates, evaluations } from "../../db/tables.js";

export function createAttendanceLoaders(db: Db) {
  return {
    attendanceRecordsByRegistrationId: loaderOfLists(
      (ids) => db.select().from(attendanceRecords).where(inArray(attendanceRecords.registrationId, [...ids])).orderBy(asc(attendanceRecords.occurredAt), asc(attendanceRecords.id)).all(),
      (row) => row.registrationId,
    ),
    attendanceOverridesByRegistrationId: loaderOfLists(
      (ids) => db.select().from(attendanceOverrides).where(inArray(attendanceOverrides.registrationId, [...ids])).orderBy(asc(attendanceOverrides.id)).all(),
      (row) => row.registrationId,
    ),
    evaluationByRegistrationId: loaderById((ids) => db.select().from(evaluations).where(inArray(evaluations.registrationId, [...ids])).all(), (row) => row.registrationId),
    certificateByRegistrationId: loaderById((ids) => db.select().from(certificates).where(inArray(certificates.registrationId, [...ids])).all(), (row) => row.registrationId),
    certificateById: loaderById((ids) => db.select().from(certificates).where(inArray(certificates.id, [...ids])).all(), (row) => row.id),
  };
}
