import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { rowCounts } from "../helpers/db.js";
import { createApiKey } from "../../src/modules/api-keys/api-keys.service.js";
import { createOrganisation } from "../../src/modules/organisations/organisations.service.js";

const CANCEL_EVENT = /* GraphQL */ `
  mutation ($id: ID!) { cancelEvent(id: $id, reason: "Venue unavailable") { event { status } userErrors { code } } }
`;

const SEATS = /* GraphQL */ `
  query ($id: ID!) { event(id: $id) { seatsRemaining } }
`;

describe("register", () => {
  let server: TestServer;
  let course: TestCourse;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    course = await createCourse(server);
  });
  afterAll(() => server.close());

  /** Runs register and checks the expected userError came back with nothing stored. */
  async function expectRefused(input: unknown, code: string, field?: string[]) {
    const before = await rowCounts(server);
    const { data, errors } = await server.gql(REGISTER, { input });
    expect(errors).toBeUndefined();
    expect(data.register.registration).toBeNull();
    expect(data.register.manageToken).toBeNull();
    expect(data.register.userErrors).toEqual(expect.arrayContaining([expect.objectContaining({ code, ...(field ? { field } : {}) })]));
    expect(await rowCounts(server)).toEqual(before);
    return data.register.userErrors as { code: string; message: string; field: string[] }[];
  }

  it("takes an application: PENDING_REVIEW, a reference, a manage token, a seat held", async () => {
    // given
    const input = registrationInput(course, {}, { email: "Ada.Lovelace@Clinic.Example" });
    // when
    const { data } = await server.gql(REGISTER, { input });
    // then
    expect(data.register.userErrors).toEqual([]);
    expect(data.register.registration).toMatchObject({ status: "PENDING_REVIEW", waitlistPosition: null, attendee: { email: "Ada.Lovelace@Clinic.Example" }, event: { id: course.id } });
    expect(data.register.registration.reference).toMatch(/^MBT-[2-9A-HJKMNP-TV-Z]{6}$/);
    expect(data.register.manageToken).toMatch(/^mt_/);
    const seats = await server.gql(SEATS, { id: course.id });
    expect(seats.data.event.seatsRemaining).toBe(29);
  });

  it("refuses a second active registration for the same address, whatever its case: ALREADY_REGISTERED", async () => {
    const first = registrationInput(course, {}, { email: "grace@clinic.example" });
    expect((await server.gql(REGISTER, { input: first })).data.register.userErrors).toEqual([]);
    await expectRefused(registrationInput(course, {}, { email: "GRACE@Clinic.example" }), "ALREADY_REGISTERED", ["input", "attendee", "email"]);
  });

  it("refuses an unmet required criterion, naming it: NOT_ELIGIBLE", async () => {
    const input = registrationInput(course);
    input.eligibilityAnswers[2]!.met = false;
    const errors = await expectRefused(input, "NOT_ELIGIBLE", ["input", "eligibilityAnswers", "2", "met"]);
    expect(errors[0]!.message).toContain("minimum of 1 years’ experience");
  });

  it("refuses an unanswered required criterion: NOT_ELIGIBLE", async () => {
    const input = registrationInput(course);
    input.eligibilityAnswers = input.eligibilityAnswers.filter((answer) => answer.criterionId !== course.criteria[0]!.id);
    const errors = await expectRefused(input, "NOT_ELIGIBLE", ["input", "eligibilityAnswers"]);
    expect(errors[0]!.message).toContain("qualified health professionals");
  });

  it("accepts a desirable criterion answered false, with evidence", async () => {
    const input = registrationInput(course);
    input.eligibilityAnswers[4] = { criterionId: course.criteria[4]!.id, met: false, details: "Not yet" };
    const { data } = await server.gql(REGISTER, { input });
    expect(data.register.userErrors).toEqual([]);
    expect(data.register.registration.status).toBe("PENDING_REVIEW");
  });

  it("refuses unknown, foreign and repeated criterion ids: INVALID", async () => {
    const other = await createCourse(server);
    const foreign = registrationInput(course);
    foreign.eligibilityAnswers.push({ criterionId: other.criteria[0]!.id, met: true, details: null });
    await expectRefused(foreign, "INVALID", ["input", "eligibilityAnswers", "5", "criterionId"]);
    const unknown = registrationInput(course);
    unknown.eligibilityAnswers.push({ criterionId: "crt_nope", met: true, details: null });
    await expectRefused(unknown, "INVALID");
    const repeated = registrationInput(course);
    repeated.eligibilityAnswers.push({ ...repeated.eligibilityAnswers[0]! });
    await expectRefused(repeated, "INVALID");
  });

  it("needs professionOther for profession OTHER: REQUIRED", async () => {
    await expectRefused(registrationInput(course, {}, { profession: "OTHER" }), "REQUIRED", ["input", "attendee", "professionOther"]);
    const { data } = await server.gql(REGISTER, { input: registrationInput(course, {}, { profession: "OTHER", professionOther: "Art therapist" }) });
    expect(data.register.userErrors).toEqual([]);
  });

  it("caps lengths and requires names: TOO_LONG, REQUIRED, INVALID phone", async () => {
    await expectRefused(registrationInput(course, {}, { firstName: "A".repeat(101) }), "TOO_LONG", ["input", "attendee", "firstName"]);
    await expectRefused(registrationInput(course, {}, { lastName: "   " }), "REQUIRED", ["input", "attendee", "lastName"]);
    await expectRefused(registrationInput(course, { accessibilityNeeds: "x".repeat(2001) }), "TOO_LONG", ["input", "accessibilityNeeds"]);
    await expectRefused(registrationInput(course, {}, { phone: "not a phone" }), "INVALID", ["input", "attendee", "phone"]);
    await expectRefused(registrationInput(course, { idempotencyKey: "k".repeat(256) }), "TOO_LONG", ["input", "idempotencyKey"]);
  });

  it("rejects an invalid email address as a GraphQL input error, storing nothing", async () => {
    const before = await rowCounts(server);
    const { status, errors } = await server.gql(REGISTER, { input: registrationInput(course, {}, { email: "not-an-email" }) });
    expect(status).toBe(400);
    expect(errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await rowCounts(server)).toEqual(before);
  });

  it("reports an unknown or draft event as NOT_FOUND", async () => {
    await expectRefused({ ...registrationInput(course), eventId: "evt_01JD0000000000000000000000" }, "NOT_FOUND", ["input", "eventId"]);
    const draft = await createCourse(server, {}, { publish: false });
    await expectRefused(registrationInput(draft), "NOT_FOUND", ["input", "eventId"]);
  });

  it("refuses registration after registrationClosesAt, after the start and for a cancelled event: REGISTRATION_CLOSED", async () => {
    const closing = await createCourse(server, { registrationClosesAt: "2023-06-01T11:00:00Z" });
    await expectRefused(registrationInput(closing), "REGISTRATION_CLOSED");
    const notYet = await createCourse(server, { registrationOpensAt: "2023-07-01T00:00:00Z" });
    await expectRefused(registrationInput(notYet), "REGISTRATION_CLOSED");
    const started = await createCourse(server, {
      sessions: [{ title: "Day 1", localStart: "2023-05-30T08:30", localEnd: "2023-05-30T16:30" }, { title: "Day 2", localStart: "2023-06-02T08:30", localEnd: "2023-06-02T16:30" }],
    });
    await expectRefused(registrationInput(started), "REGISTRATION_CLOSED");
    const cancelled = await createCourse(server);
    await server.admin(CANCEL_EVENT, { id: cancelled.id });
    await expectRefused(registrationInput(cancelled), "REGISTRATION_CLOSED");
  });

  it("puts applicants on the waitlist when full, or refuses with EVENT_FULL", async () => {
    // given a one-seat course whose seat is taken
    const tiny = await createCourse(server, { capacity: 1 });
    expect((await server.gql(REGISTER, { input: registrationInput(tiny) })).data.register.registration.status).toBe("PENDING_REVIEW");
    // when two more apply
    const second = await server.gql(REGISTER, { input: registrationInput(tiny) });
    const third = await server.gql(REGISTER, { input: registrationInput(tiny) });
    // then they wait in order
    expect(second.data.register.registration).toMatchObject({ status: "WAITLISTED", waitlistPosition: 1 });
    expect(third.data.register.registration).toMatchObject({ status: "WAITLISTED", waitlistPosition: 2 });
    expect((await server.gql(SEATS, { id: tiny.id })).data.event.seatsRemaining).toBe(0);
    // and one who does not want to wait is refused
    await expectRefused(registrationInput(tiny, { joinWaitlist: false }), "EVENT_FULL", ["input", "eventId"]);
    const noWaitlist = await createCourse(server, { capacity: 1, waitlistEnabled: false });
    await server.gql(REGISTER, { input: registrationInput(noWaitlist) });
    await expectRefused(registrationInput(noWaitlist), "EVENT_FULL");
  });

  it("replays a retry with the same idempotency key and refuses the key with another input", async () => {
    // given
    const input = registrationInput(course, { idempotencyKey: "form-submit-7f3a" });
    const first = await server.gql(REGISTER, { input });
    // when
    const retry = await server.gql(REGISTER, { input });
    // then
    expect(retry.data.register).toEqual(first.data.register);
    const before = await rowCounts(server);
    const conflict = await server.gql(REGISTER, { input: { ...input, accessibilityNeeds: "Step-free seating" } });
    expect(conflict.data.register.userErrors).toEqual([expect.objectContaining({ code: "IDEMPOTENCY_CONFLICT", field: ["input", "idempotencyKey"] })]);
    expect(await rowCounts(server)).toEqual(before);
  });

  it("scopes idempotency keys to the caller: another caller's key replays nothing", async () => {
    // given a public registration with a key
    await server.gql(REGISTER, { input: registrationInput(course, { idempotencyKey: "shared-key-1" }) });
    // when a partner's server uses the same key for another person
    const organisation = await createOrganisation(server.app.deps, { slug: "mila-idempotency", name: "Mentalizing Initiative Los Angeles" });
    const { key } = await createApiKey(server.app.deps.db, server.clock, { kind: "SECRET", name: "mila server", organisationId: organisation.id });
    const { data } = await server.gql(REGISTER, { input: registrationInput(course, { idempotencyKey: "shared-key-1" }) }, { token: key });
    // then it is a registration of its own, attributed to the partner
    expect(data.register.userErrors).toEqual([]);
    expect(data.register.registration.status).toBe("PENDING_REVIEW");
  });

  it("keeps idempotency keys for 24 hours", async () => {
    const input = registrationInput(course, { idempotencyKey: "kept-a-day" });
    const first = await server.gql(REGISTER, { input });
    server.clock.advance(23 * 3_600_000);
    const retry = await server.gql(REGISTER, { input });
    expect(retry.data.register.registration.id).toBe(first.data.register.registration.id);
    server.clock.set("2023-06-01T12:00:00Z");
  });
});
