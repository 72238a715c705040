import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mbtLearningObjectives } from "../../src/demo/mbt-course.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const DEMO_COURSE = /* GraphQL */ `
  query DemoCourse($slug: String!) {
    event(slug: $slug) {
      title status format timeZone startsAt endsAt startDate endDate
      liveHours selfGuidedHours programmeLength audience bookingUrl registrationOpen
      contact { name phone }
      venue { name address { line1 city region country } timeZone mapUrl accessibility { adaCompliant notes } }
      sessions { title kind startsAt endsAt localStart localEnd timeZone timeZoneAbbreviation utcOffset durationMinutes }
      partners { organisation { name slug } roles bookingUrl }
      learningObjectives { position text }
      credit { name maxCredits increment statement } attendanceGraceMinutes evaluationRequired
      eligibilityCriteria { position text required }
      prerequisite { title durationHours accessOpensAt completeBy }
    }
  }
`;

const UPCOMING = /* GraphQL */ `
  query Upcoming {
    events(filter: { status: [PUBLISHED] }) { totalCount edges { node { slug registrationOpen seatsRemaining price { amountMinor currency formatted } } } }
  }
`;

describe("the demo course from the course page", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ seedDemo: true, now: "2026-11-25T12:00:00Z" });
  });
  afterAll(() => server.close());

  it("has every fact of the October 2023 run", async () => {
    // when
    const { data, errors } = await server.gql(DEMO_COURSE, { slug: "mbt-basic-training-2023-10" });
    // then
    expect(errors).toBeUndefined();
    const event = data.event;
    expect(event).toMatchObject({
      title: "MBT Basic Training",
      status: "COMPLETED",
      format: "IN_PERSON",
      timeZone: "America/Los_Angeles",
      startDate: "2023-10-04",
      endDate: "2023-10-06",
      startsAt: "2023-10-04T15:30:00.000Z",
      endsAt: "2023-10-06T23:30:00.000Z",
      liveHours: 18,
      selfGuidedHours: 21,
      programmeLength: "1 month programme",
      registrationOpen: false,
      contact: { name: "Robin Kissell", phone: "310-859-7912" },
      venue: { name: "UCLA Faculty Center", timeZone: "America/Los_Angeles", accessibility: { adaCompliant: true } },
      prerequisite: {
        title: "Mentalizing and Mentalization Based Treatment with Adults (MBT Adult) – An Introduction",
        durationHours: 4,
        accessOpensAt: "2023-09-04T15:30:00.000Z",
        completeBy: "2023-10-04T15:30:00.000Z",
      },
    });
    expect(event.audience).toContain("treatment of personality disorder");
    expect(event.sessions).toHaveLength(3);
    expect(event.sessions[0]).toMatchObject({
      kind: "LIVE",
      startsAt: "2023-10-04T15:30:00.000Z",
      localStart: "2023-10-04T08:30",
      localEnd: "2023-10-04T16:30",
      timeZoneAbbreviation: "PDT",
      utcOffset: "-07:00",
      durationMinutes: 480,
    });
    expect(event.learningObjectives.map((o: { text: string }) => o.text)).toEqual(mbtLearningObjectives);
    expect(event.credit).toMatchObject({ name: "CE hours", maxCredits: 18, increment: 0.25 });
    expect(event.credit.statement).toContain("jointly sponsored by Lifespan Learning Institute and The Mentalizing Initiative");
    expect([event.attendanceGraceMinutes, event.evaluationRequired]).toEqual([10, true]);
    expect(event.learningObjectives.map((o: { position: number }) => o.position)).toEqual(mbtLearningObjectives.map((_, i) => i + 1));
    expect(event.eligibilityCriteria.map((c: { required: boolean }) => c.required)).toEqual([true, true, true, true, false]);
    expect(event.eligibilityCriteria[4].text).toMatch(/desirable.*personal experience of psychotherapy/);
    expect(event.partners.map((p: { organisation: { name: string }; roles: string[] }) => [p.organisation.name, p.roles])).toEqual([
      ["Anna Freud Centre", ["HOST"]],
      ["Mentalizing Initiative Los Angeles", ["DELIVERY_PARTNER", "BOOKING_PARTNER"]],
      ["Lifespan Learning Institute", ["SPONSOR"]],
      ["The Mentalizing Initiative", ["SPONSOR"]],
    ]);
  });

  it("has an upcoming, published run open for registration", async () => {
    const { data } = await server.gql(UPCOMING);
    expect(data.events.totalCount).toBe(1);
    expect(data.events.edges[0].node).toMatchObject({ registrationOpen: true, seatsRemaining: 30, price: { amountMinor: 125000, currency: "USD", formatted: "$1,250.00" } });
  });
});
