import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mbtPrerequisite } from "../../src/demo/mbt-course.js";
import { courseInput, CREATE_EVENT, PUBLISH_EVENT } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/*
 * Sessions are entered and shown in wall-clock time; the instants, offsets and
 * abbreviations come from the IANA zone at each instant, so a course that straddles a
 * clock change keeps its 08:30 start on both sides.
 */

const SCHEDULE = /* GraphQL */ `
  query Schedule($id: ID!) {
    event(id: $id) {
      timeZone startsAt endsAt startDate endDate
      sessions { startsAt endsAt localStart localEnd timeZone timeZoneAbbreviation utcOffset durationMinutes }
      prerequisite { accessOpensAt completeBy accessLeadDays }
    }
  }
`;

type Session = { localStart: string; localEnd: string };

describe("time zones and daylight saving time", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
  });
  afterAll(() => server.close());

  /** Creates and publishes an event through the API, then reads its schedule anonymously. */
  async function schedule(timeZone: string, sessions: Session[], prerequisite: Record<string, unknown> | null = mbtPrerequisite) {
    const created = await server.admin(CREATE_EVENT, { input: courseInput({ timeZone, prerequisite, sessions: sessions.map((s, i) => ({ title: `Day ${i + 1}`, kind: "LIVE", ...s })) }) });
    const id = created.data?.createEvent?.event?.id;
    if (!id) throw new Error(JSON.stringify(created.errors ?? created.data.createEvent.userErrors));
    await server.admin(PUBLISH_EVENT, { id });
    const { data, errors } = await server.gql(SCHEDULE, { id });
    expect(errors).toBeUndefined();
    return data.event;
  }

  const wallClock = (s: any) => [s.localStart, s.localEnd, s.timeZoneAbbreviation, s.utcOffset, s.startsAt, s.endsAt, s.durationMinutes];

  it("keeps 08:30 in Los Angeles across the November change: PDT (-07:00) before, PST (-08:00) after", async () => {
    // when
    const event = await schedule("America/Los_Angeles", [
      { localStart: "2023-11-03T08:30", localEnd: "2023-11-03T16:30" },
      { localStart: "2023-11-06T08:30", localEnd: "2023-11-06T16:30" },
    ]);

    // then
    expect(event.sessions.map(wallClock)).toEqual([
      ["2023-11-03T08:30", "2023-11-03T16:30", "PDT", "-07:00", "2023-11-03T15:30:00.000Z", "2023-11-03T23:30:00.000Z", 480],
      ["2023-11-06T08:30", "2023-11-06T16:30", "PST", "-08:00", "2023-11-06T16:30:00.000Z", "2023-11-07T00:30:00.000Z", 480],
    ]);
    expect(event).toMatchObject({ startsAt: "2023-11-03T15:30:00.000Z", endsAt: "2023-11-07T00:30:00.000Z", startDate: "2023-11-03", endDate: "2023-11-06" });
    expect(event.sessions.every((s: any) => s.timeZone === "America/Los_Angeles")).toBe(true);
  });

  it("keeps 09:00 in London across the March change: GMT (+00:00) before, BST (+01:00) after", async () => {
    // when
    const event = await schedule("Europe/London", [
      { localStart: "2024-03-29T09:00", localEnd: "2024-03-29T17:00" },
      { localStart: "2024-04-02T09:00", localEnd: "2024-04-02T17:00" },
    ]);

    // then
    expect(event.sessions.map(wallClock)).toEqual([
      ["2024-03-29T09:00", "2024-03-29T17:00", "GMT", "+00:00", "2024-03-29T09:00:00.000Z", "2024-03-29T17:00:00.000Z", 480],
      ["2024-04-02T09:00", "2024-04-02T17:00", "BST", "+01:00", "2024-04-02T08:00:00.000Z", "2024-04-02T16:00:00.000Z", 480],
    ]);
  });

  it("names southern-hemisphere zones too: Sydney leaves AEDT (+11:00) for AEST (+10:00) in April", async () => {
    // when
    const event = await schedule("Australia/Sydney", [
      { localStart: "2024-04-05T09:00", localEnd: "2024-04-05T17:00" },
      { localStart: "2024-04-08T09:00", localEnd: "2024-04-08T17:00" },
    ]);

    // then
    expect(event.sessions.map(wallClock)).toEqual([
      ["2024-04-05T09:00", "2024-04-05T17:00", "AEDT", "+11:00", "2024-04-04T22:00:00.000Z", "2024-04-05T06:00:00.000Z", 480],
      ["2024-04-08T09:00", "2024-04-08T17:00", "AEST", "+10:00", "2024-04-07T23:00:00.000Z", "2024-04-08T07:00:00.000Z", 480],
    ]);
  });

  it("counts real minutes for a session that spans the change itself", async () => {
    // when: 00:00–03:00 on the night the clocks go back lasts four hours; 00:00–04:00 on the night they go forward, three
    const autumn = await schedule("America/Los_Angeles", [{ localStart: "2023-11-05T00:00", localEnd: "2023-11-05T03:00" }]);
    const spring = await schedule("America/Los_Angeles", [{ localStart: "2024-03-10T00:00", localEnd: "2024-03-10T04:00" }]);

    // then
    expect(autumn.sessions.map(wallClock)).toEqual([["2023-11-05T00:00", "2023-11-05T03:00", "PDT", "-07:00", "2023-11-05T07:00:00.000Z", "2023-11-05T11:00:00.000Z", 240]]);
    expect(spring.sessions.map(wallClock)).toEqual([["2024-03-10T00:00", "2024-03-10T04:00", "PST", "-08:00", "2024-03-10T08:00:00.000Z", "2024-03-10T11:00:00.000Z", 180]]);
  });

  it("reads a wall-clock time that happens twice (the autumn overlap) as the earlier one, still summer time", async () => {
    // when
    const event = await schedule("America/Los_Angeles", [{ localStart: "2023-11-05T01:30", localEnd: "2023-11-05T05:00" }]);

    // then
    expect(event.sessions.map(wallClock)).toEqual([["2023-11-05T01:30", "2023-11-05T05:00", "PDT", "-07:00", "2023-11-05T08:30:00.000Z", "2023-11-05T13:00:00.000Z", 270]]);
  });

  it("refuses a wall-clock time that never happens (the spring gap), naming the session", async () => {
    // when
    const result = await server.admin(CREATE_EVENT, {
      input: courseInput({ timeZone: "Europe/London", sessions: [{ title: "Day 1", localStart: "2024-03-30T09:00", localEnd: "2024-03-30T17:00" }, { title: "Night", localStart: "2024-03-31T01:30", localEnd: "2024-03-31T03:00" }] }),
    });

    // then
    expect(result.data.createEvent.event).toBeNull();
    expect(result.data.createEvent.userErrors).toEqual([
      { field: ["input", "sessions", "1", "localStart"], code: "INVALID", message: "2024-03-31T01:30 does not exist in Europe/London (the clocks skip it when summer time starts)" },
    ]);
  });

  describe("prerequisite access opens one calendar month before the start, at the same wall-clock time", () => {
    it.each([
      ["the course page's run (no change between)", "America/Los_Angeles", "2023-10-04T08:30", "2023-09-04T15:30:00.000Z", "2023-10-04T15:30:00.000Z"],
      ["a PST start whose month before is PDT", "America/Los_Angeles", "2023-11-06T08:30", "2023-10-06T15:30:00.000Z", "2023-11-06T16:30:00.000Z"],
      ["a PDT start whose month before is PST", "America/Los_Angeles", "2024-03-12T08:30", "2024-02-12T16:30:00.000Z", "2024-03-12T15:30:00.000Z"],
      ["a BST start whose month before is GMT", "Europe/London", "2024-04-02T09:00", "2024-03-02T09:00:00.000Z", "2024-04-02T08:00:00.000Z"],
      ["31 March (the day of the change) to 29 February of a leap year", "Europe/London", "2024-03-31T09:00", "2024-02-29T09:00:00.000Z", "2024-03-31T08:00:00.000Z"],
    ])("%s", async (_what, timeZone, localStart, accessOpensAt, startsAt) => {
      // when
      const event = await schedule(timeZone, [{ localStart, localEnd: `${localStart.slice(0, 10)}T17:00` }]);

      // then
      expect(event.startsAt).toBe(startsAt);
      expect(event.prerequisite).toEqual({ accessOpensAt, completeBy: startsAt, accessLeadDays: null });
    });

    it("or accessLeadDays calendar days before, also at the same wall-clock time", async () => {
      // when: 08:30 PST on 6 November, a week before is 08:30 PDT on 30 October
      const event = await schedule("America/Los_Angeles", [{ localStart: "2023-11-06T08:30", localEnd: "2023-11-06T16:30" }], { ...mbtPrerequisite, accessLeadDays: 7 });

      // then
      expect(event.prerequisite).toEqual({ accessOpensAt: "2023-10-30T15:30:00.000Z", completeBy: "2023-11-06T16:30:00.000Z", accessLeadDays: 7 });
    });
  });
});
