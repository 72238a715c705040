import { DateTime } from "luxon";

/*
 * Every conversion between UTC instants and wall-clock times lives here. Offsets and
 * abbreviations always come from the IANA zone at the instant in question: in October
 * Los Angeles is on PDT (-07:00), whatever a course page says.
 *
 * The read path asks the same few questions thousands of times a second (the same
 * sessions, in the same zone), and building an Intl.DateTimeFormat costs a hundred times
 * more than formatting with one. So formatters are made once per zone and locale, and a
 * zone's reading of an instant (its wall clock, offset and abbreviation), which never
 * changes, is remembered. These are answers of pure functions of (instant, zone), not
 * data: nothing here can go stale. Every memo is bounded.
 */

const localDateTimePattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Zones (and their readings) remembered; past it a memo starts afresh (the hot set refills at once). */
const MEMO_LIMIT = 10_000;

function remember<K, V>(memo: Map<K, V>, key: K, value: V, limit = MEMO_LIMIT): V {
  if (memo.size >= limit) memo.clear();
  memo.set(key, value);
  return value;
}

/** One memo per zone, so a key is the instant's milliseconds rather than a built string. */
function perZone<V>(memos: Map<string, Map<number, V>>, zone: string): Map<number, V> {
  return memos.get(zone) ?? remember(memos, zone, new Map<number, V>(), 1_000);
}

const zoneValidity = new Map<string, boolean>();

export function isValidTimeZone(zone: string): boolean {
  const known = zoneValidity.get(zone);
  if (known !== undefined) return known;
  let valid = zone.length > 0;
  try {
    if (valid) new Intl.DateTimeFormat("en-US", { timeZone: zone }).format(0);
  } catch {
    valid = false;
  }
  return remember(zoneValidity, zone, valid, 1_000);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** An Intl.DateTimeFormat made once per locale, zone and kind; an unknown zone throws RangeError. */
function formatter(kind: "wall-clock" | "abbreviation", locale: string, zone: string): Intl.DateTimeFormat {
  const key = `${kind} ${locale} ${zone}`;
  let made = formatters.get(key);
  if (!made) {
    made =
      kind === "wall-clock"
        ? new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", era: "short", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" })
        : // The options Luxon's "ZZZZ" uses: with fewer fields some locales name zones differently.
          new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: "short", hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
    remember(formatters, key, made, 5_000);
  }
  return made;
}

/** What a clock in the zone shows at an instant, and its offset from UTC in minutes. */
interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  offsetMinutes: number;
  /** instantToLocal's and instantToLocalDate's answers, made on first use. */
  local?: string;
  date?: string;
}

const wallClocks = new Map<string, Map<number, WallClock>>();

/** Milliseconds since the epoch of a UTC date-time, years 0–99 included (Date.UTC maps them to 19xx). */
function utcMillis(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

function readWallClock(ms: number, zone: string): WallClock {
  const fields = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  let beforeCommonEra = false;
  for (const { type, value } of formatter("wall-clock", "en-US", zone).formatToParts(ms)) {
    if (type === "era") beforeCommonEra = value === "BC" || value === "B";
    else if (type in fields) fields[type as keyof typeof fields] = Number.parseInt(value, 10);
  }
  if (beforeCommonEra) fields.year = 1 - fields.year;
  if (fields.hour === 24) fields.hour = 0;
  // As Luxon does: the offset is that of the whole second (zones' old local mean times have odd seconds).
  const wholeSecond = ms - (((ms % 1000) + 1000) % 1000);
  const offsetMinutes = (utcMillis(fields.year, fields.month, fields.day, fields.hour, fields.minute, fields.second) - wholeSecond) / 60_000;
  return { ...fields, offsetMinutes };
}

function wallClock(instant: Date, zone: string): WallClock {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError("Invalid time value");
  const readings = perZone(wallClocks, zone);
  return readings.get(ms) ?? remember(readings, ms, readWallClock(ms, zone));
}

const two = (n: number) => String(n).padStart(2, "0");
const year4 = (n: number) => (n < 0 ? `-${String(-n).padStart(4, "0")}` : String(n).padStart(4, "0"));

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Parses "2023-10-04T08:30" strictly: real calendar dates, hours 00–23. */
export function parseLocalDateTime(value: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const match = localDateTimePattern.exec(value);
  if (!match) throw new RangeError(`"${value}" is not a local date-time like 2023-10-04T08:30`);
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const hour = Number(match[4]);
  const minute = Number(match[5]);
  const second = match[6] === undefined ? 0 : Number(match[6]);
  const invalid = (why: string) => new RangeError(`"${value}" is not a valid local date-time: ${why}`);
  if (month < 1 || month > 12) throw invalid("the month must be 01–12");
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) throw invalid(`${match[1]}-${match[2]} has days 01–${days}`);
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
  const clock = wallClock(instant, zone);
  if (clock.local === undefined) {
    const local = `${instantToLocalDate(instant, zone)}T${two(clock.hour)}:${two(clock.minute)}`;
    clock.local = clock.second === 0 ? local : `${local}:${two(clock.second)}`;
  }
  return clock.local;
}

/** The calendar date in the zone, "2023-10-04". */
export function instantToLocalDate(instant: Date, zone: string): string {
  const clock = wallClock(instant, zone);
  return (clock.date ??= `${year4(clock.year)}-${two(clock.month)}-${two(clock.day)}`);
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
  const ms = instant.getTime();
  const names = perZone(abbreviations, zone);
  return names.get(ms) ?? remember(names, ms, nameZone(ms, zone));
}

const abbreviations = new Map<string, Map<number, string>>();

function nameZone(ms: number, zone: string): string {
  let fallback: string | null = null;
  for (const locale of abbreviationLocales) {
    const name = formatter("abbreviation", locale, zone)
      .formatToParts(ms)
      .find((part) => part.type === "timeZoneName")?.value;
    if (name === undefined) continue;
    if (!/^GMT[+-]/.test(name)) return name;
    fallback ??= name;
  }
  return fallback ?? "";
}

/** "-07:00". */
export function utcOffset(instant: Date, zone: string): string {
  const offset = wallClock(instant, zone).offsetMinutes;
  const hours = Math.trunc(Math.abs(offset / 60));
  const minutes = Math.trunc(Math.abs(offset % 60));
  return `${offset >= 0 ? "+" : "-"}${two(hours)}:${two(minutes)}`;
}

const shifted = new Map<string, Map<number, Date>>();

/**
 * `months` calendar months (or `days` days) before an instant, keeping the wall-clock
 * time in the zone: 2023-10-04 08:30 PDT minus one month is 2023-09-04 08:30 PDT.
 */
export function shiftKeepingWallClock(instant: Date, zone: string, shift: { months?: number; days?: number }): Date {
  // Shifts in use are whole months or days (a prerequisite's lead, a reminder's): one memo per shift.
  const results = perZone(shifted, `${shift.months ?? 0} ${shift.days ?? 0} ${zone}`);
  const ms = instant.getTime();
  const known = results.get(ms) ?? remember(results, ms, inZone(instant, zone).minus(shift).toJSDate());
  // A copy: a caller may mutate the Date it gets.
  return new Date(known.getTime());
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
