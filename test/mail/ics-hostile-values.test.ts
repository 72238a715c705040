import { describe, expect, it } from "vitest";
import type { EmailFacts, EventRow, SessionRow, VenueRow } from "../../src/mail/email-facts.js";
import { buildRemovedSessionsCalendar, buildSessionsCalendar, sessionUid } from "../../src/mail/ics.js";
import { lintIcs, parseWithNodeIcal, property, type IcsReport } from "./ics-lint.js";

/*
 * The .ics builder fed raw hostile strings, as no input check may ever let through again
 * (line breaks in titles, NUL, quotes in names): every calendar must stay one VCALENDAR
 * with exactly the sessions' VEVENTs, each property valid RFC 5545, and the text must
 * come back as written, less what iCalendar cannot carry (control characters).
 */

const injection = "Evil\r\nBEGIN:VEVENT\r\nUID:injected@evil.example\r\nSUMMARY:Free money\r\nEND:VEVENT\r\nX-INJECTED:yes";

/** Each raw value, and what a reader must get back for a one-line field. */
const hostileLines: { raw: string; read: string }[] = [
  { raw: injection, read: "Evil BEGIN:VEVENT UID:injected@evil.example SUMMARY:Free money END:VEVENT X-INJECTED:yes" },
  { raw: "carriage\rreturn\nline feed\r\nboth", read: "carriage return line feed both" },
  { raw: 'semi;colon,comma:colon\\back"quote', read: 'semi;colon,comma:colon\\back"quote' },
  { raw: "nul\u0000bell\u0007escape\u001bdelete\u007ftab\there", read: "nul bell escape delete tab here" },
  { raw: `${"Ünïcødé ".repeat(20)}${"😀".repeat(40)}`, read: `${"Ünïcødé ".repeat(20)}${"😀".repeat(40)}` },
  { raw: "👩‍⚕️ clinician 🏳️‍🌈 ,;\\", read: "👩‍⚕️ clinician 🏳️‍🌈 ,;\\" },
  { raw: "broken \uD83D surrogate", read: "broken \uFFFD surrogate" },
];

const now = new Date("2023-06-01T12:00:00Z");

function eventRow(overrides: Partial<EventRow>): EventRow {
  return {
    id: "event_1",
    title: "MBT Basic Training",
    format: "IN_PERSON",
    venueId: "venue_1",
    scheduleVersion: 0,
    contactName: "Robin Kissell",
    contactPhone: "310-859-7912",
    contactEmail: "robin@mentalizing.example",
    cancelReason: null,
    status: "PUBLISHED",
    ...overrides,
  } as EventRow;
}

function venueRow(overrides: Partial<VenueRow> = {}): VenueRow {
  return { id: "venue_1", name: "UCLA Faculty Center", line1: "480 Charles E Young Dr E", line2: null, city: "Los Angeles", region: "CA", postalCode: "90095", country: "US", ...overrides } as VenueRow;
}

function sessionRows(titles: string[]): SessionRow[] {
  return titles.map((title, index) => ({
    id: `session_${index + 1}`,
    eventId: "event_1",
    position: index + 1,
    title,
    kind: "LIVE",
    startsAt: new Date(Date.UTC(2023, 9, 4 + index, 15, 30)),
    endsAt: new Date(Date.UTC(2023, 9, 4 + index, 23, 30)),
    venueId: null,
  }));
}

function facts(event: EventRow, sessions: SessionRow[], venue: VenueRow = venueRow()): EmailFacts & { event: EventRow } {
  return { registration: null, event, sessions, venues: new Map([[venue.id, venue]]), prerequisite: null, amountPaidMinor: 0, waitlistPosition: null, calendarSent: true };
}

function expectValid(report: IcsReport, uids: string[]): void {
  expect(report.problems).toEqual([]);
  expect(report.events.map((event) => property(event, "UID")!.value).sort()).toEqual([...uids].sort());
}

describe("the .ics builder with hostile values", () => {
  for (const [index, { raw, read }] of hostileLines.entries()) {
    it(`case ${index + 1}: title, session title, contact and venue ${JSON.stringify(raw.slice(0, 30))} stay text of the one VEVENT per session`, () => {
      // given every admin-typed field set to the hostile value
      const event = eventRow({ title: raw, contactName: raw, contactPhone: raw, cancelReason: null });
      const venue = venueRow({ name: raw, line1: raw, city: raw });
      const sessions = sessionRows([raw, "Day 2"]);
      // when
      const source = buildSessionsCalendar(facts(event, sessions, venue), { now, cancel: false, organizer: { name: raw, email: "robin@mentalizing.example" }, reference: "MBT-7K3P9Q" });
      // then: exactly the two sessions, nothing injected, every line valid
      const report = lintIcs(source);
      expectValid(report, sessions.map(sessionUid));
      expect(property(report.calendar!, "NAME")!.value).toBe(read);
      expect(property(report.calendar!, "X-WR-CALNAME")!.value).toBe(read);
      const first = report.events.find((entry) => property(entry, "UID")!.value === sessionUid(sessions[0]!))!;
      expect(property(first, "SUMMARY")!.value).toBe(`${read}: ${read}`);
      expect(property(first, "LOCATION")!.value).toBe(`${read}, ${read}, ${read}, CA 90095, United States`);
      expect(property(first, "DESCRIPTION")!.value).toBe(`Reference MBT-7K3P9Q\nContact: ${read}, ${read}, robin@mentalizing.example`);
      // a quoted parameter value has no escapes: DQUOTE and backslash are replaced, never escaped
      expect(property(first, "ORGANIZER")!.params.CN).toBe(read.replace(/"/g, "'").replace(/\\/g, "/"));
      expect(property(first, "ORGANIZER")!.raw).toBe("mailto:robin@mentalizing.example");
      // and a real parser reads the same
      const parsed = parseWithNodeIcal(source);
      expect(parsed.map((entry) => entry.uid).sort()).toEqual(sessions.map(sessionUid).sort());
      expect(parsed.find((entry) => entry.uid === sessionUid(sessions[0]!))!.summary).toBe(`${read}: ${read}`);
    });
  }

  it("multi-line text (a cancellation reason) keeps its lines as escaped line breaks; control characters go", () => {
    // given
    const event = eventRow({ status: "CANCELLED", cancelReason: 'First line;\r\nsecond, "quoted" \\ line\u0000\r\n\r\nlast', scheduleVersion: 2 });
    const sessions = sessionRows(["Day 1", "Day 2", "Day 3"]);
    // when
    const source = buildSessionsCalendar(facts(event, sessions), { now, cancel: true, organizer: { name: "Robin", email: "robin@mentalizing.example" }, reference: null });
    // then
    const report = lintIcs(source);
    expectValid(report, sessions.map(sessionUid));
    expect(property(report.calendar!, "METHOD")!.value).toBe("CANCEL");
    for (const entry of report.events) {
      expect(property(entry, "DESCRIPTION")!.value).toBe('Contact: Robin Kissell, 310-859-7912, robin@mentalizing.example\nCancelled: First line;\nsecond, "quoted" \\ line\n\nlast');
      expect(property(entry, "STATUS")!.value).toBe("CANCELLED");
      expect(property(entry, "SEQUENCE")!.value).toBe("3");
    }
    expect(parseWithNodeIcal(source).map((entry) => entry.description)).toEqual(Array(3).fill('Contact: Robin Kissell, 310-859-7912, robin@mentalizing.example\nCancelled: First line;\nsecond, "quoted" \\ line\n\nlast'));
  });

  it("an organizer address a URI cannot carry as typed is percent-encoded in the mailto:", () => {
    // given an address the EmailAddress scalar accepts
    const email = "robin{the%boss}#1?x=y@mentalizing.example";
    const source = buildSessionsCalendar(facts(eventRow({}), sessionRows(["Day 1"])), { now, cancel: false, organizer: { name: "Robin", email }, reference: null });
    // then
    const report = lintIcs(source);
    expectValid(report, ["session_1@event-registration"]);
    const organizer = property(report.events[0]!, "ORGANIZER")!.raw;
    expect(organizer).toBe("mailto:robin%7Bthe%25boss%7D%231%3Fx%3Dy@mentalizing.example");
    expect(decodeURIComponent(organizer.slice("mailto:".length))).toBe(email);
  });

  it("removed sessions: one CANCEL with their UIDs, STATUS:CANCELLED and the edit's SEQUENCE, titles cleaned", () => {
    // given
    const removed = [
      { id: "session_3", title: injection, startsAt: "2023-10-06T15:30:00.000Z", endsAt: "2023-10-06T23:30:00.000Z" },
      { id: "session_4", title: "Day 4", startsAt: "2023-10-07T15:30:00.000Z", endsAt: "2023-10-07T23:30:00.000Z" },
    ];
    // when
    const source = buildRemovedSessionsCalendar(eventRow({ title: injection, scheduleVersion: 1 }), removed, { now, organizer: { name: 'R "x"', email: "robin@mentalizing.example" }, reference: "MBT-7K3P9Q", sequence: 1 });
    // then
    const report = lintIcs(source);
    expectValid(report, ["session_3@event-registration", "session_4@event-registration"]);
    expect(property(report.calendar!, "METHOD")!.value).toBe("CANCEL");
    expect(report.events.map((entry) => [property(entry, "STATUS")!.value, property(entry, "SEQUENCE")!.value, property(entry, "DTSTART")!.value])).toEqual([
      ["CANCELLED", "1", "20231006T153000Z"],
      ["CANCELLED", "1", "20231007T153000Z"],
    ]);
    expect(parseWithNodeIcal(source).map((entry) => entry.status)).toEqual(["CANCELLED", "CANCELLED"]);
  });
});
