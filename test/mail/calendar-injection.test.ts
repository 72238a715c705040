import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uclaFacultyCenter } from "../../src/demo/mbt-course.js";
import { CREATE_EVENT, CREATE_VENUE, courseInput, PUBLISH_EVENT, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import type { ReceivedEmail } from "../helpers/smtp.js";
import { lintIcs, parseWithNodeIcal, property } from "./ics-lint.js";
import { drain, receivedEmail, startMailHarness, type MailHarness } from "./mail-harness.js";

const CANCEL_EVENT = /* GraphQL */ `
  mutation ($id: ID!, $reason: String) { cancelEvent(id: $id, reason: $reason) { event { status } userErrors { code message } } }
`;

/*
 * Hostile values typed by an admin into a course, through the API, as far as a received
 * email's attachment: characters every field must accept (quotes, semicolons, commas,
 * colons, backslashes, emoji, long text), and line breaks where a field is multi-line.
 */

// Long enough to be folded, with every character iCalendar treats specially.
const title = 'MBT "Basic"; Training, Adults: Part\\1 👩‍⚕️ ' + "Ü".repeat(40);
const contactName = 'Robin "The Boss" Kissell; PhD, \\LA';
const contactEmail = "robin+{team}@mentalizing.example";
const sessionTitle = 'Day "1"; role-play, mentalizing: \\ 🏳️‍🌈';
const venueName = 'Faculty Center "North"; Hall A, Room 1';
const line1 = '480 Charles E Young Dr E; Gate "B", \\ East';
const cancelReason = 'The trainer is unwell;\nwe will offer new dates, "soon".\r\nSorry \\ apologies';

const injectedTitle = "Evil\r\nBEGIN:VEVENT\r\nUID:injected@evil.example\r\nSUMMARY:Free money\r\nEND:VEVENT";

function calendarAttachments(email: ReceivedEmail): string[] {
  return email.parsed.attachments.filter((attachment) => attachment.contentType === "text/calendar").map((attachment) => attachment.content.toString("utf8"));
}

describe("hostile course details in a real email's .ics", () => {
  let mail: MailHarness;

  async function createCourse(overrides: Record<string, unknown>, venue: Record<string, unknown> = {}): Promise<{ course: TestCourse | null; userErrors: { field: string[] }[] }> {
    const createdVenue = await mail.server.admin(CREATE_VENUE, { input: { ...uclaFacultyCenter, ...venue } });
    expect(createdVenue.data.createVenue.userErrors).toEqual([]);
    const venueId = createdVenue.data.createVenue.venue.id;
    const created = await mail.server.admin(CREATE_EVENT, { input: courseInput({ venueId, requiresReview: false, priceMinor: 0, currency: null, eligibilityCriteria: [], prerequisite: null, ...overrides }) });
    const payload = created.data.createEvent;
    if (!payload.event) return { course: null, userErrors: payload.userErrors };
    const published = await mail.server.admin(PUBLISH_EVENT, { id: payload.event.id });
    expect(published.data.publishEvent.userErrors).toEqual([]);
    return { course: { id: payload.event.id, slug: payload.event.slug, criteria: payload.event.eligibilityCriteria, venueId }, userErrors: [] };
  }

  async function bookingEmail(course: TestCourse): Promise<ReceivedEmail & { registrationId: string }> {
    const registered = await mail.server.gql(REGISTER, { input: registrationInput(course) });
    expect(registered.data.register.userErrors).toEqual([]);
    const registrationId = registered.data.register.registration.id;
    await drain(mail.server.app.worker);
    return { ...(await receivedEmail(mail, registrationId, "BOOKING_CONFIRMED")), registrationId };
  }

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z" });
  });
  afterAll(() => mail.close());

  it("quotes, semicolons, commas, colons, backslashes and emoji in the title, contact, sessions and venue: valid RFC 5545, read back as typed", async () => {
    // given a course whose every calendar field is hostile but valid input
    const sessions = ["2023-10-04", "2023-10-05"].map((day, index) => ({ title: index === 0 ? sessionTitle : "Day 2", kind: "LIVE", localStart: `${day}T08:30`, localEnd: `${day}T16:30` }));
    const { course, userErrors } = await createCourse({ title, contactName, contactEmail, sessions }, { name: venueName, address: { ...uclaFacultyCenter.address, line1 } });
    expect(userErrors).toEqual([]);
    // when someone books
    const email = await bookingEmail(course!);
    // then the one .ics holds exactly the two sessions, every line valid
    const [source, ...others] = calendarAttachments(email);
    expect(others).toEqual([]);
    const report = lintIcs(source!);
    expect(report.problems).toEqual([]);
    expect(report.events).toHaveLength(2);
    expect(property(report.calendar!, "NAME")!.value).toBe(title);
    expect(property(report.calendar!, "X-WR-CALNAME")!.value).toBe(title);
    const first = report.events.find((entry) => property(entry, "DTSTART")!.value === "20231004T153000Z")!;
    expect(property(first, "SUMMARY")!.value).toBe(`${title}: ${sessionTitle}`);
    expect(property(first, "LOCATION")!.value).toBe(`${venueName}, ${line1}, Los Angeles, CA 90095, United States`);
    expect(property(first, "DESCRIPTION")!.value).toContain(`Contact: ${contactName}, 310-859-7912, ${contactEmail}`);
    expect(property(first, "ORGANIZER")!.params.CN).toBe("Robin 'The Boss' Kissell; PhD, /LA");
    expect(property(first, "ORGANIZER")!.raw).toBe("mailto:robin+%7Bteam%7D@mentalizing.example");
    // and node-ical reads the same two sessions
    const parsed = parseWithNodeIcal(source!);
    expect(parsed.map((entry) => entry.summary).sort()).toEqual([`${title}: ${sessionTitle}`, `${title}: Day 2`].sort());
    expect(new Set(parsed.map((entry) => entry.uid)).size).toBe(2);

    // when the event is cancelled with a multi-line reason
    const cancelled = await mail.server.admin(CANCEL_EVENT, { id: course!.id, reason: cancelReason });
    expect(cancelled.data.cancelEvent.userErrors).toEqual([]);
    await drain(mail.server.app.worker);
    // then the CANCEL is as valid, with the reason's lines kept
    const cancellation = await receivedEmail(mail, email.registrationId, "EVENT_CHANGED");
    const [cancelSource] = calendarAttachments(cancellation);
    const cancelReport = lintIcs(cancelSource!);
    expect(cancelReport.problems).toEqual([]);
    expect(property(cancelReport.calendar!, "METHOD")!.value).toBe("CANCEL");
    expect(cancelReport.events.map((entry) => property(entry, "DESCRIPTION")!.value.split("Cancelled: ")[1])).toEqual(
      Array(2).fill('The trainer is unwell;\nwe will offer new dates, "soon".\nSorry \\ apologies'),
    );
    expect(parseWithNodeIcal(cancelSource!).map((entry) => entry.status)).toEqual(["CANCELLED", "CANCELLED"]);
  });

  it("a title with line breaks cannot add a VEVENT: refused as input, or written as text of the sessions' own VEVENTs", async () => {
    // given
    const { course, userErrors } = await createCourse({ title: injectedTitle, sessions: [{ title: "Day 1", kind: "LIVE", localStart: "2023-10-04T08:30", localEnd: "2023-10-04T16:30" }] });
    if (!course) {
      // input hygiene refuses control characters in one-line fields: nothing was created
      expect(userErrors.map((error) => error.field.join("."))).toContain("input.title");
      return;
    }
    // when someone books
    const email = await bookingEmail(course);
    // then the subject is one line, and the calendar has one VEVENT, the session's own
    expect(email.parsed.subject).toMatch(/^Booking confirmed: Evil BEGIN:VEVENT UID:injected@evil\.example SUMMARY:Free money END:VEVENT \(MBT-[A-Z0-9]+\)$/);
    const [source] = calendarAttachments(email);
    const report = lintIcs(source!);
    expect(report.problems).toEqual([]);
    expect(report.events.map((entry) => property(entry, "UID")!.value)).toHaveLength(1);
    expect(report.events[0]!.properties.map((entry) => entry.value)).not.toContain("injected@evil.example");
    expect(property(report.calendar!, "NAME")!.value).toBe("Evil BEGIN:VEVENT UID:injected@evil.example SUMMARY:Free money END:VEVENT");
    const parsed = parseWithNodeIcal(source!);
    expect(parsed.map((entry) => entry.uid)).toEqual([property(report.events[0]!, "UID")!.value]);
    expect(parsed.map((entry) => entry.uid)).not.toContain("injected@evil.example");
  });
});
