import type { SessionRow } from "./email-facts.js";

/**
 * A live session an edit took out of registrants' calendars: deleted, or no longer LIVE.
 * Its row is gone (or changed) by the time the EVENT_CHANGED email is sent, so the
 * email's payload carries what the cancellation needs.
 */
export interface RemovedSession {
  id: string;
  title: string;
  /** ISO instants, as JSON keeps them. */
  startsAt: string;
  endsAt: string;
}

/** Sessions are matched by position on edit: a LIVE one past the new end, or turned self-guided, leaves the calendar. */
export function sessionsLeavingCalendars(before: SessionRow[], after: Pick<SessionRow, "kind">[]): RemovedSession[] {
  return before
    .filter((session, index) => session.kind === "LIVE" && after[index]?.kind !== "LIVE")
    .map((session) => ({ id: session.id, title: session.title, startsAt: session.startsAt.toISOString(), endsAt: session.endsAt.toISOString() }));
}

function isRemovedSession(value: unknown): value is RemovedSession {
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.id === "string" &&
    typeof entry.title === "string" &&
    typeof entry.startsAt === "string" &&
    typeof entry.endsAt === "string" &&
    !Number.isNaN(Date.parse(entry.startsAt)) &&
    !Number.isNaN(Date.parse(entry.endsAt))
  );
}

/** The removed sessions an EVENT_CHANGED payload names (none for older payloads). */
export function removedSessionsIn(payload: Record<string, unknown>): RemovedSession[] {
  return Array.isArray(payload.removedSessions) ? payload.removedSessions.filter(isRemovedSession) : [];
}
