import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCourse, courseInput, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import type { ReceivedEmail } from "../helpers/smtp.js";
import { lintIcs, parseWithNodeIcal, property } from "./ics-lint.js";
import { deliveries, drain, receivedEmail, startMailHarness, type MailHarness } from "./mail-harness.js";

const UPDATE_EVENT = /* GraphQL */ `
  mutation ($id: ID!, $input: EventInput!) { updateEvent(id: $id, input: $input) { event { id } userErrors { code message } } }
`;
const CANCEL_EVENT = /* GraphQL */ `
  mutation ($id: ID!, $reason: String) { cancelEvent(id: $id, reason: $reason) { event { status } userErrors { code message } } }
`;

/*
 * Sessions an edit drops must leave registrants' calendars: the EVENT_CHANGED email
 * carries, next to the PUBLISH of the remaining sessions, a CANCEL of the dropped UIDs.
 * Someone on the waitlist holds no seat and is sent no calendar entries at all.
 */

const days = ["2023-10-04", "2023-10-05", "2023-10-06"];
function sessionsInput(kinds: string[]) {
  return kinds.map((kind, index) => ({ title: `Day ${index + 1}`, kind, localStart: `${days[index]}T08:30`, localEnd: `${days[index]}T16:30` }));
}

interface Calendar {
  filename: string | undefined;
  method: string;
  events: { uid: string; status: string; sequence: number; start: string }[];
}

/** Every .ics of the message, each checked line by line and parsed by node-ical. */
function calendarsOf(email: ReceivedEmail): Calendar[] {
  return email.parsed.attachments
    .filter((attachment) => attachment.contentType === "text/calendar")
    .map((attachment) => {
      const source = attachment.content.toString("utf8");
      const report = lintIcs(source);
      expect(report.problems).toEqual([]);
      const parsed = parseWithNodeIcal(source);
      expect(parsed.map((entry) => entry.uid).sort()).toEqual(report.events.map((entry) => property(entry, "UID")!.value).sort());
      return {
        filename: attachment.filename,
        method: property(report.calendar!, "METHOD")!.value,
        events: report.events.map((entry) => ({ uid: property(entry, "UID")!.value, status: property(entry, "STATUS")!.value, sequence: Number(property(entry, "SEQUENCE")!.value), start: property(entry, "DTSTART")!.value })),
      };
    });
}

describe("sessions removed by an edit, and the waitlist, in calendars", () => {
  let mail: MailHarness;
  let course: TestCourse;
  let ada: { id: string };
  let wes: { id: string };
  let uids: string[];

  async function register(): Promise<{ id: string; status: string }> {
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(course) });
    expect(data.register.userErrors).toEqual([]);
    return data.register.registration;
  }

  /** The EVENT_CHANGED email of one occasion ("v1", "cancelled") for one registration. */
  async function changeEmail(registrationId: string, occasion: string): Promise<ReceivedEmail> {
    const rows = (await deliveries(mail.server, { registrationId, kind: "EVENT_CHANGED" })).filter((row) => row.dedupeKey.endsWith(`:${occasion}`));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe("SENT");
    const received = mail.smtp.received.filter((email) => email.messageId === rows[0]!.messageId);
    expect(received).toHaveLength(1);
    return received[0]!;
  }

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z" });
    // one seat, free, no review: the first person is booked at once, the second waits
    course = await createCourse(mail.server, { capacity: 1, requiresReview: false, priceMinor: 0, eligibilityCriteria: [], prerequisite: null, sessions: sessionsInput(["LIVE", "LIVE", "LIVE"]) });
    const first = await register();
    const second = await register();
    expect([first.status, second.status]).toEqual(["CONFIRMED", "WAITLISTED"]);
    ada = first;
    wes = second;
    await drain(mail.server.app.worker);
    const booked = calendarsOf(await receivedEmail(mail, ada.id, "BOOKING_CONFIRMED"));
    expect(booked.map((calendar) => calendar.method)).toEqual(["PUBLISH"]);
    uids = booked[0]!.events.sort((a, b) => a.start.localeCompare(b.start)).map((entry) => entry.uid);
    expect(uids).toHaveLength(3);
  });
  afterAll(() => mail.close());

  it("the waitlist email carries no calendar", async () => {
    expect(calendarsOf(await receivedEmail(mail, wes.id, "WAITLISTED"))).toEqual([]);
  });

  it("dropping a live session: the booked registrant gets sessions.ics (PUBLISH, the rest) and removed-sessions.ics (CANCEL of the dropped UID, SEQUENCE raised)", async () => {
    // when Day 3 is dropped
    const updated = await mail.server.admin(UPDATE_EVENT, { id: course.id, input: courseInput({ slug: course.slug, venueId: course.venueId, capacity: 1, requiresReview: false, priceMinor: 0, eligibilityCriteria: [], prerequisite: null, sessions: sessionsInput(["LIVE", "LIVE"]) }) });
    expect(updated.data.updateEvent.userErrors).toEqual([]);
    await drain(mail.server.app.worker);
    // then
    const email = await changeEmail(ada.id, "v1");
    expect(calendarsOf(email)).toEqual([
      {
        filename: "sessions.ics",
        method: "PUBLISH",
        events: [
          { uid: uids[0], status: "CONFIRMED", sequence: 1, start: "20231004T153000Z" },
          { uid: uids[1], status: "CONFIRMED", sequence: 1, start: "20231005T153000Z" },
        ],
      },
      { filename: "removed-sessions.ics", method: "CANCEL", events: [{ uid: uids[2], status: "CANCELLED", sequence: 1, start: "20231006T153000Z" }] },
    ]);
    // the MIME type names each file's method too, as iTIP asks
    expect(email.parsed.attachments.map((attachment) => (attachment.headers.get("content-type") as { params?: { method?: string } }).params?.method)).toEqual(["PUBLISH", "CANCEL"]);
    const text = email.parsed.text!;
    expect(text).toContain("No longer part of the course:\n- Day 3: Fri 6 Oct 2023, 8:30 am – 4:30 pm PDT");
    expect(text).toContain("The attached calendar file (removed-sessions.ics) removes it from your calendar.");
    expect(String(email.parsed.html)).toContain("removed-sessions.ics");
  });

  it("the waitlisted registrant is told of the change but sent no calendar entries", async () => {
    const email = await changeEmail(wes.id, "v1");
    expect(calendarsOf(email)).toEqual([]);
    expect(email.parsed.text).toContain("No longer part of the course:\n- Day 3");
    expect(email.parsed.text).not.toContain(".ics");
  });

  it("a live session turned self-guided leaves the calendar the same way", async () => {
    // when Day 2 becomes self-guided
    const updated = await mail.server.admin(UPDATE_EVENT, { id: course.id, input: courseInput({ slug: course.slug, venueId: course.venueId, capacity: 1, requiresReview: false, priceMinor: 0, eligibilityCriteria: [], prerequisite: null, sessions: sessionsInput(["LIVE", "SELF_GUIDED"]) }) });
    expect(updated.data.updateEvent.userErrors).toEqual([]);
    await drain(mail.server.app.worker);
    // then
    expect(calendarsOf(await changeEmail(ada.id, "v2"))).toEqual([
      { filename: "sessions.ics", method: "PUBLISH", events: [{ uid: uids[0], status: "CONFIRMED", sequence: 2, start: "20231004T153000Z" }] },
      { filename: "removed-sessions.ics", method: "CANCEL", events: [{ uid: uids[1], status: "CANCELLED", sequence: 2, start: "20231005T153000Z" }] },
    ]);
    expect(calendarsOf(await changeEmail(wes.id, "v2"))).toEqual([]);
  });

  it("cancelling the event removes the remaining session from the booked calendar and sends the waitlisted person none", async () => {
    const cancelled = await mail.server.admin(CANCEL_EVENT, { id: course.id, reason: "The trainer is unwell" });
    expect(cancelled.data.cancelEvent.userErrors).toEqual([]);
    await drain(mail.server.app.worker);
    expect(calendarsOf(await changeEmail(ada.id, "cancelled"))).toEqual([
      { filename: "cancelled.ics", method: "CANCEL", events: [{ uid: uids[0], status: "CANCELLED", sequence: 3, start: "20231004T153000Z" }] },
    ]);
    const waitlisted = await changeEmail(wes.id, "cancelled");
    expect(calendarsOf(waitlisted)).toEqual([]);
    expect(waitlisted.parsed.text).not.toContain(".ics");
  });
});
