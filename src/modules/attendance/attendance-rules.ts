import type { attendanceOverrides, attendanceRecords, events, sessions } from "../../db/schema.js";

/*
 * The rules of attendance and credit, in one place and free of I/O: what a session's
 * check-ins and check-outs add up to, and how much credit that earns. Every duration is
 * computed from UTC instants, so a session across a DST change counts its real minutes.
 */

type EventRow = typeof events.$inferSelect;
type SessionRow = typeof sessions.$inferSelect;
export type AttendanceRecordRow = typeof attendanceRecords.$inferSelect;
export type AttendanceOverrideRow = typeof attendanceOverrides.$inferSelect;

const MINUTE_MS = 60_000;

/** How far outside a session a scan may be and still belong to it (a scan of the wrong day is refused). */
export const SCAN_WINDOW_MS = 4 * 60 * MINUTE_MS;

export type AttendanceStatusName = "PRESENT" | "PARTIAL" | "ABSENT";

export interface SessionAttendanceFacts {
  session: SessionRow;
  status: AttendanceStatusName;
  minutesPresent: number;
  /** The session's scheduled length, in minutes. */
  scheduledMinutes: number;
  firstCheckInAt: Date | null;
  lastCheckOutAt: Date | null;
  /** Set by an admin's override (which replaces what the scans add up to). */
  overridden: boolean;
}

export function scheduledMinutes(session: Pick<SessionRow, "startsAt" | "endsAt">): number {
  return Math.floor((session.endsAt.getTime() - session.startsAt.getTime()) / MINUTE_MS);
}

/**
 * One session's attendance. Scans are taken in the order they happened: a check-in opens
 * a stretch of presence (a second check-in while one is open changes nothing), a check-out
 * closes it (one with nothing open is ignored), and a stretch still open closes at the
 * session's end. Each stretch is clipped to the session, so arriving early counts from the
 * start. The latest override, if any, replaces the scans' sum.
 */
export function sessionAttendance(session: SessionRow, records: AttendanceRecordRow[], override: AttendanceOverrideRow | null, graceMinutes: number): SessionAttendanceFacts {
  const start = session.startsAt.getTime();
  const end = session.endsAt.getTime();
  const ordered = [...records].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.id - b.id);
  let openedAt: number | null = null;
  let presentMs = 0;
  let firstCheckInAt: Date | null = null;
  let lastCheckOutAt: Date | null = null;
  const close = (at: number) => {
    presentMs += Math.max(0, Math.min(at, end) - Math.max(openedAt!, start));
    openedAt = null;
  };
  for (const record of ordered) {
    const at = record.occurredAt.getTime();
    if (record.action === "CHECK_IN") {
      firstCheckInAt ??= record.occurredAt;
      if (openedAt === null) openedAt = at;
    } else {
      lastCheckOutAt = record.occurredAt;
      if (openedAt !== null) close(at);
    }
  }
  if (openedAt !== null) close(end);
  const scheduled = scheduledMinutes(session);
  const minutesPresent = override ? Math.min(scheduled, Math.max(0, override.minutesPresent)) : Math.floor(presentMs / MINUTE_MS);
  return {
    session,
    status: attendanceStatus(minutesPresent, scheduled, graceMinutes),
    minutesPresent,
    scheduledMinutes: scheduled,
    firstCheckInAt,
    lastCheckOutAt,
    overridden: override !== null,
  };
}

export function attendanceStatus(minutesPresent: number, scheduled: number, graceMinutes: number): AttendanceStatusName {
  if (minutesPresent <= 0) return "ABSENT";
  return scheduled - minutesPresent <= graceMinutes ? "PRESENT" : "PARTIAL";
}

export interface CreditDesignationFacts {
  name: string;
  maxCredits: number;
  increment: number;
  statement: string | null;
}

export function creditDesignationOf(event: EventRow): CreditDesignationFacts | null {
  if (!event.creditName || event.creditMax === null) return null;
  return { name: event.creditName, maxCredits: event.creditMax, increment: event.creditIncrement ?? 0.25, statement: event.creditStatement };
}

/**
 * Credit for the live time attended: maxCredits × minutes attended / scheduled live
 * minutes, rounded down to the increment (18 × 1410 / 1440 = 17.625 → 17.5).
 */
export function creditsEarned(event: EventRow, liveAttendance: SessionAttendanceFacts[]): number {
  const credit = creditDesignationOf(event);
  if (!credit) return 0;
  const scheduled = liveAttendance.reduce((total, item) => total + item.scheduledMinutes, 0);
  if (scheduled <= 0) return 0;
  const attended = liveAttendance.reduce((total, item) => total + item.minutesPresent, 0);
  const exact = (credit.maxCredits * attended) / scheduled;
  // The epsilon keeps 17.5 / 0.25 = 69.99999… from losing a step to floating point.
  const steps = Math.floor(exact / credit.increment + 1e-9);
  return Math.min(credit.maxCredits, Number((steps * credit.increment).toFixed(6)));
}

/** The attendance of every live session of the event, in order. */
export function liveAttendanceOf(
  event: EventRow,
  eventSessions: SessionRow[],
  records: AttendanceRecordRow[],
  overrides: AttendanceOverrideRow[],
): SessionAttendanceFacts[] {
  return eventSessions
    .filter((session) => session.kind === "LIVE")
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime())
    .map((session) => {
      const latest = overrides.filter((override) => override.sessionId === session.id).sort((a, b) => b.id - a.id)[0] ?? null;
      return sessionAttendance(session, records.filter((record) => record.sessionId === session.id), latest, event.attendanceGraceMinutes);
    });
}
