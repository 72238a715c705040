import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { courseInput, createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/*
 * updateEvent matches sessions by position. Once a session has attendance (a scan, or only
 * an admin's override) its times and kind are what its minutes and credit were computed
 * from: moving it, changing its kind, removing it, or removing a session before it (which
 * would shift another session's times onto its id) is refused and changes nothing.
 */

const UPDATE_EVENT = /* GraphQL */ `
  mutation ($id: ID!, $input: EventInput!) { updateEvent(id: $id, input: $input) { event { id } userErrors { field code message } } }
`;
const READ = /* GraphQL */ `
  query ($eventId: ID, $registrationId: ID) {
    event(id: $eventId) { sessions { id title kind localStart localEnd } }
    registration(id: $registrationId) { checkInCode creditsEarned attendance { session { id } status minutesPresent } }
  }
`;
const RECORD = /* GraphQL */ `
  mutation ($records: [AttendanceRecordInput!]!) { recordAttendance(records: $records) { accepted userErrors { code } } }
`;
const OVERRIDE = /* GraphQL */ `
  mutation ($input: AttendanceOverrideInput!) { overrideAttendance(input: $input) { userErrors { code } } }
`;

interface SessionSpec {
  title: string;
  day: string;
  from?: string;
  to?: string;
  kind?: "LIVE" | "SELF_GUIDED";
}
const scheduled: SessionSpec[] = [
  { title: "Day 1", day: "2023-10-04" },
  { title: "Day 2", day: "2023-10-05" },
  { title: "Day 3", day: "2023-10-06" },
  { title: "Follow-up", day: "2023-10-20" },
];
const sessionsInput = (specs: SessionSpec[]) =>
  specs.map((spec) => ({ title: spec.title, kind: spec.kind ?? "LIVE", localStart: `${spec.day}T${spec.from ?? "08:30"}`, localEnd: `${spec.day}T${spec.to ?? "16:30"}` }));

describe("editing the sessions of an event with attendance", () => {
  let server: TestServer;
  let course: TestCourse;
  let registrationId: string;
  const common = () => ({ requiresReview: false, priceMinor: 0 });
  const read = async () => {
    const { data, errors } = await server.admin(READ, { eventId: course.id, registrationId });
    expect(errors).toBeUndefined();
    return data;
  };
  const update = (specs: SessionSpec[]) => server.admin(UPDATE_EVENT, { id: course.id, input: courseInput({ slug: course.slug, venueId: course.venueId, ...common(), sessions: sessionsInput(specs) }) });
  const errorsOf = (result: Awaited<ReturnType<typeof update>>) => {
    expect(result.errors).toBeUndefined();
    return result.data.updateEvent.userErrors.map((error: { code: string; field: string[] }) => `${error.code} ${error.field.join(".")}`);
  };

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    course = await createCourse(server, { ...common(), sessions: sessionsInput(scheduled) });
    const { data } = await server.gql(REGISTER, { input: registrationInput(course) });
    expect(data.register.userErrors).toEqual([]);
    registrationId = data.register.registration.id;
    const { event, registration } = await read();
    // Day 1: a scan. Day 3: only an admin's override. Day 2 and the follow-up: nothing.
    server.clock.set("2023-10-04T20:00:00Z");
    const scan = await server.admin(RECORD, { records: [{ checkInCode: registration.checkInCode, sessionId: event.sessions[0].id, action: "CHECK_IN", occurredAt: "2023-10-04T15:30:00Z", nonce: "door:1" }] });
    expect(scan.data.recordAttendance[0]).toEqual({ accepted: true, userErrors: [] });
    const override = await server.admin(OVERRIDE, { input: { registrationId, sessionId: event.sessions[2].id, minutesPresent: 240, reason: "Left at lunch (paper sign-out sheet)." } });
    expect(override.data.overrideAttendance.userErrors).toEqual([]);
  });
  afterAll(() => server?.close());

  it("refuses removing day 1 of the course (day 2's times would land on day 1's id, under its scans) and changes nothing", async () => {
    // given
    const before = await read();

    // when
    const result = await update(scheduled.slice(1));

    // then
    expect(errorsOf(result)).toEqual([
      "INVALID_STATE input.sessions.0.localStart",
      "INVALID_STATE input.sessions.0.localEnd",
      "INVALID_STATE input.sessions.2.localStart",
      "INVALID_STATE input.sessions.2.localEnd",
    ]);
    expect(result.data.updateEvent.userErrors[0].message).toContain('session 1 ("Day 1")');
    expect(await read()).toEqual(before);
    expect(before.registration.attendance.map((item: { status: string; minutesPresent: number }) => `${item.status} ${item.minutesPresent}`)).toEqual(["PRESENT 480", "ABSENT 0", "PARTIAL 240", "ABSENT 0"]);
  });

  it("refuses moving an attended session or changing its kind, naming the field, and changes nothing", async () => {
    // given
    const before = await read();

    // when
    const moved = await update([{ ...scheduled[0]!, from: "09:30", to: "17:30" }, ...scheduled.slice(1)]);
    const selfGuided = await update([{ ...scheduled[0]!, kind: "SELF_GUIDED" }, ...scheduled.slice(1)]);
    const overriddenMoved = await update([...scheduled.slice(0, 2), { ...scheduled[2]!, to: "12:30" }, scheduled[3]!]);

    // then
    expect(errorsOf(moved)).toEqual(["INVALID_STATE input.sessions.0.localStart", "INVALID_STATE input.sessions.0.localEnd"]);
    expect(errorsOf(selfGuided)).toEqual(["INVALID_STATE input.sessions.0.kind"]);
    expect(errorsOf(overriddenMoved)).toEqual(["INVALID_STATE input.sessions.2.localEnd"]);
    expect(await read()).toEqual(before);
  });

  it("refuses removing a session that has only an admin's override (a userError, not a failed foreign key) and changes nothing", async () => {
    // given
    const before = await read();

    // when
    const result = await update(scheduled.slice(0, 2));

    // then
    expect(errorsOf(result)).toEqual(["INVALID_STATE input.sessions"]);
    expect(result.data.updateEvent.userErrors[0].message).toContain('session 3 ("Day 3")');
    expect(await read()).toEqual(before);
  });

  it("still lets an admin move a session without attendance, rename an attended one and remove a trailing one without attendance", async () => {
    // given
    const before = await read();

    // when
    const result = await update([{ ...scheduled[0]!, title: "Day 1: foundations" }, { ...scheduled[1]!, from: "09:00", to: "17:00" }, scheduled[2]!]);

    // then
    expect(errorsOf(result)).toEqual([]);
    const after = await read();
    expect(after.event.sessions).toEqual([
      { ...before.event.sessions[0], title: "Day 1: foundations" },
      { ...before.event.sessions[1], localStart: "2023-10-05T09:00", localEnd: "2023-10-05T17:00" },
      before.event.sessions[2],
    ]);
    expect(after.registration.attendance).toEqual(before.registration.attendance.slice(0, 3));
  });
});
