import { DateTime, IANAZone } from "luxon";

/*
 * Every conversion between UTC instants and wall-clock times lives here. Offsets and
 * abbreviations always come from the IANA zone at the instant in question: in October
 * Los Angeles is on PDT (-07:00), whatever a course page says.
 */

const localDateTimePattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** Parses "2023-10-04T08:30" strictly: real calendar dates, hours 00–23. */
export function parseLocalDateTime(value: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const match = localDateTimePattern.exec(value);
  if (!match) throw new RangeError(`"${value}" is not a local date-time like 2023-10-04T08:30`);
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const invalid = (why: string) => new RangeError(`"${value}" is not a valid local date-time: ${why}`);
  if (month < 1 || month > 12) throw invalid("the month must be 01–12");
  const daysInMonth = DateTime.utc(year, month).daysInMonth!;
  if (day < 1 || day > daysInMonth) throw invalid(`${match[1]}-${match[2]} has days 01–${daysInMonth}`);
  if (hour > 23) throw invalid("the hour must be 00–23");
  if (minute > 59) throw invalid("the minute must be 00–59");
  if (second > 59) throw invalid("the second must be 00–59");
  return { year, month, day, hour, minute, second };
}

/**
 * The instant a wall-clock time denotes in a zone. A time that does not exist (inside a
 * spring-forward gap) is refused rather than silently moved; in the autumn overlap the
 * earlier instant (still summer time) is taken.
 */
export function localToInstant(local: string, zone: string): Date {
  const parts = parseLocalDateTime(local);
  const dt = DateTime.fromObject(parts, { zone });
  if (!dt.isValid) throw new RangeError(`unknown time zone "${zone}"`);
  if (dt.hour !== parts.hour || dt.minute !== parts.minute) {
    throw new RangeError(`${local} does not exist in ${zone} (the clocks skip it when summer time starts)`);
  }
  // Luxon alone resolves an ambiguous time to the later (standard-time) instant.
  const earliest = dt.getPossibleOffsets().reduce((a, b) => (b.toMillis() < a.toMillis() ? b : a), dt);
  return earliest.toJSDate();
}

function inZone(instant: Date, zone: string): DateTime {
  return DateTime.fromJSDate(instant, { zone });
}

/** "2023-10-04T08:30" (seconds only when they are not zero). */
export function instantToLocal(instant: Date, zone: string): string {
  const dt = inZone(instant, zone);
  return dt.toFormat(dt.second === 0 ? "yyyy-MM-dd'T'HH:mm" : "yyyy-MM-dd'T'HH:mm:ss");
}

/** The calendar date in the zone, "2023-10-04". */
export function instantToLocalDate(instant: Date, zone: string): string {
  return inZone(instant, zone).toISODate()!;
}

/**
 * English locales that name zones Intl leaves as "GMT+…" in American English: British
 * (BST, CET), Australian (AEDT, NZDT), Indian (IST), Irish (IST for Dublin's summer).
 */
const abbreviationLocales = ["en-US", "en-GB", "en-AU", "en-IN", "en-IE"];

/**
 * "PDT", "BST", "AEDT"; falls back to the offset ("GMT+9") where no English locale names
 * the zone. American English is asked first, so American zones keep their usual names.
 */
export function zoneAbbreviation(instant: Date, zone: string): string {
  const dt = inZone(instant, zone);
  let fallback: string | null = null;
  for (const locale of abbreviationLocales) {
    const name = dt.setLocale(locale).toFormat("ZZZZ");
    if (!/^GMT[+-]/.test(name)) return name;
    fallback ??= name;
  }
  return fallback!;
}

/** "-07:00". */
export function utcOffset(instant: Date, zone: string): string {
  return inZone(instant, zone).toFormat("ZZ");
}

/**
 * `months` calendar months (or `days` days) before an instant, keeping the wall-clock
 * time in the zone: 2023-10-04 08:30 PDT minus one month is 2023-09-04 08:30 PDT.
 */
export function shiftKeepingWallClock(instant: Date, zone: string, shift: { months?: number; days?: number }): Date {
  return inZone(instant, zone).minus(shift).toJSDate();
}

/** "Wed 4 Oct 2023, 8:30 am – 4:30 pm PDT": how emails show a session. */
export function formatSessionRange(start: Date, end: Date, zone: string): string {
  const from = inZone(start, zone);
  const to = inZone(end, zone);
  const time = (dt: DateTime) => dt.toFormat(dt.minute === 0 ? "h a" : "h:mm a").toLowerCase();
  const sameDay = from.hasSame(to, "day");
  const endPart = sameDay ? time(to) : `${to.toFormat("ccc d LLL yyyy")}, ${time(to)}`;
  return `${from.toFormat("ccc d LLL yyyy")}, ${time(from)} – ${endPart} ${zoneAbbreviation(end, zone)}`;
}

/** "Mon 4 Sep 2023, 8:30 am PDT": one instant as emails show it. */
export function formatDateTime(instant: Date, zone: string): string {
  const dt = inZone(instant, zone);
  const time = dt.toFormat(dt.minute === 0 ? "h a" : "h:mm a").toLowerCase();
  return `${dt.toFormat("ccc d LLL yyyy")}, ${time} ${zoneAbbreviation(instant, zone)}`;
}

/** "4 Oct 2023" in the zone. */
export function formatDate(instant: Date, zone: string): string {
  return inZone(instant, zone).toFormat("d LLL yyyy");
}

/**
 * The days from start to end in the zone, as short as stays clear: "1 Oct 2023" for one
 * day, "4–6 Oct 2023", "29 Sep – 2 Oct 2023", "30 Dec 2023 – 2 Jan 2024".
 */
export function formatDateSpan(start: Date, end: Date, zone: string): string {
  const from = inZone(start, zone);
  // An end at midnight closes the day before it.
  const to = inZone(new Date(Math.max(start.getTime(), end.getTime() - 1)), zone);
  if (from.hasSame(to, "day")) return from.toFormat("d LLL yyyy");
  if (from.hasSame(to, "month")) return `${from.toFormat("d")}–${to.toFormat("d LLL yyyy")}`;
  if (from.hasSame(to, "year")) return `${from.toFormat("d LLL")} – ${to.toFormat("d LLL yyyy")}`;
  return `${from.toFormat("d LLL yyyy")} – ${to.toFormat("d LLL yyyy")}`;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
