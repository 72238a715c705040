import { inArray } from "drizzle-orm";
import { UserErrorList } from "../../common/errors.js";
import type { Reads } from "../../db/database.js";
import { attendanceOverrides, attendanceRecords, type sessions } from "../../db/tables.js";

type SessionRow = typeof sessions.$inferSelect;
type SessionSchedule = Pick<SessionRow, "startsAt" | "endsAt" | "kind">;

/** The ids among `sessionIds` that have a scan or an admin override pointing at them. */
export async function sessionsWithAttendance(db: Reads, sessionIds: string[]): Promise<Set<string>> {
  if (sessionIds.length === 0) return new Set();
  const scanned = await db.select({ id: attendanceRecords.sessionId }).from(attendanceRecords).where(inArray(attendanceRecords.sessionId, sessionIds)).groupBy(attendanceRecords.sessionId).all();
  const overridden = await db.select({ id: attendanceOverrides.sessionId }).from(attendanceOverrides).where(inArray(attendanceOverrides.sessionId, sessionIds)).groupBy(attendanceOverrides.sessionId).all();
  return new Set([...scanned, ...overridden].map((row) => row.id));
}

/**
 * A session with attendance (scans or overrides, kept for six years) keeps its place, its
 * times and its kind: minutes present and credit are computed from them, so moving it would
 * silently change what attendees earned, and removing it would orphan the records. Sessions
 * are matched by position (`next[i]` replaces `current[i]`), so removing an earlier session
 * shows up here as a change to the attended one behind it, and is refused too. Titles and
 * venues may still change. Throws one INVALID_STATE per offending session, naming its field.
 */
export async function refuseChangesToAttendedSessions(db: Reads, current: SessionRow[], next: SessionSchedule[]): Promise<void> {
  const attended = await sessionsWithAttendance(db, current.map((session) => session.id));
  if (attended.size === 0) return;
  const refusals = new UserErrorList();
  current.forEach((session, index) => {
    if (!attended.has(session.id)) return;
    const replacement = next[index];
    const field = (...rest: string[]) => ["input", "sessions", ...(replacement ? [String(index), ...rest] : [])];
    const kept = `Attendance was recorded for session ${index + 1} ("${session.title}")`;
    const byPosition = "sessions are matched by position, so a session removed before it moves it";
    if (!replacement) {
      refusals.add("INVALID_STATE", `${kept}; it cannot be removed.`, field());
      return;
    }
    if (replacement.startsAt.getTime() !== session.startsAt.getTime()) refusals.add("INVALID_STATE", `${kept}; its start cannot change (${byPosition}).`, field("localStart"));
    if (replacement.endsAt.getTime() !== session.endsAt.getTime()) refusals.add("INVALID_STATE", `${kept}; its end cannot change (${byPosition}).`, field("localEnd"));
    if (replacement.kind !== session.kind) refusals.add("INVALID_STATE", `${kept}; its kind cannot change.`, field("kind"));
  });
  refusals.throwIfAny();
}
