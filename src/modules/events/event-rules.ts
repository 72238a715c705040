import type { events, prerequisiteCourses } from "../../db/schema.js";
import { shiftKeepingWallClock } from "../../common/time.js";

export type EventRow = typeof events.$inferSelect;
export type PrerequisiteRow = typeof prerequisiteCourses.$inferSelect;

/* The rules about an event's state that several services and field resolvers share. */

/** Why `register` may not take a registration for this event at `now`; null when open. */
export function registrationClosedReason(event: EventRow, now: Date): string | null {
  if (event.status === "CANCELLED") return "This event has been cancelled.";
  if (event.status !== "PUBLISHED") return "This event is not open for registration.";
  if (event.registrationOpensAt && now < event.registrationOpensAt) return `Registration opens at ${event.registrationOpensAt.toISOString()}.`;
  if (event.registrationClosesAt && now >= event.registrationClosesAt) return "Registration for this event has closed.";
  if (now >= event.startsAt) return "This event has already started.";
  return null;
}

export function isRegistrationOpen(event: EventRow, now: Date): boolean {
  return registrationClosedReason(event, now) === null;
}

/** Seats still free, or null when capacity is unlimited. */
export function seatsRemaining(event: EventRow, seatsHeld: number): number | null {
  return event.capacity === null ? null : Math.max(0, event.capacity - seatsHeld);
}

/**
 * When access to the prerequisite course opens: the start minus one calendar month at
 * the same wall-clock time in the event's zone, or minus `accessLeadDays` days.
 */
export function accessOpensAt(event: EventRow, prerequisite: PrerequisiteRow): Date {
  const shift = prerequisite.accessLeadDays === null ? { months: 1 } : { days: prerequisite.accessLeadDays };
  return shiftKeepingWallClock(event.startsAt, event.timeZone, shift);
}

export const seatHoldingStatuses = ["PENDING_REVIEW", "AWAITING_PAYMENT", "CONFIRMED"] as const;
export const activeStatuses = ["PENDING_REVIEW", "AWAITING_PAYMENT", "CONFIRMED", "WAITLISTED"] as const;
