/*
 * Dates and times in the event's IANA zone, whatever the visitor's own zone is. The
 * abbreviation (PDT, BST, …) comes from the server (Session.timeZoneAbbreviation), which
 * derives it from the zone at each session's instant: browsers abbreviate differently by
 * locale ("GMT-7"), and one course may span a daylight-saving change.
 */
import type { WidgetEvent, WidgetSession } from "./operations.js";

export function sessionDay(session: WidgetSession, timeZone: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone, weekday: "long", day: "numeric", month: "long", year: "numeric" }).format(new Date(session.startsAt));
}

/** "8:30 AM – 4:30 PM PDT" */
export function sessionTimes(session: WidgetSession, timeZone: string, locale: string): string {
  const time = new Intl.DateTimeFormat(locale, { timeZone, hour: "numeric", minute: "2-digit" });
  return `${time.formatRange(new Date(session.startsAt), new Date(session.endsAt))} ${session.timeZoneAbbreviation}`;
}

/** "October 4 – 6, 2023": the event's first and last day, as calendar dates. */
export function dateRange(event: WidgetEvent, locale: string): string {
  // startDate/endDate are already the event's local calendar days; formatting them at UTC noon keeps them so.
  const day = (date: string) => new Date(`${date}T12:00:00Z`);
  const format = new Intl.DateTimeFormat(locale, { timeZone: "UTC", day: "numeric", month: "long", year: "numeric" });
  return event.startDate === event.endDate ? format.format(day(event.startDate)) : format.formatRange(day(event.startDate), day(event.endDate));
}

export function hours(value: number): string {
  return `${Number.isInteger(value) ? value : value.toFixed(2).replace(/0+$/, "")} hours`;
}
