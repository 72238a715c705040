import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mbtEligibilityCriteria } from "../../src/demo/mbt-course.js";
import { snapshotDatabase } from "../helpers/db-snapshot.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/*
 * RegisterInput.eligibilityAnswers is `[EligibilityAnswerInput!] = []` (contract.graphql):
 * a form for a course without criteria need not send it; a course with required
 * criteria still refuses an application that leaves them out, naming each criterion.
 */

function withoutAnswers(input: Record<string, unknown>): Record<string, unknown> {
  const { eligibilityAnswers: _answers, ...rest } = input;
  return rest;
}

describe("eligibilityAnswers may be left out", () => {
  let server: TestServer;
  let open: TestCourse;
  let selective: TestCourse;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RATE_LIMITS: "off" } });
    open = await createCourse(server, { eligibilityCriteria: [], requiresReview: false });
    selective = await createCourse(server);
  });
  afterAll(() => server?.close());

  it("takes a registration without eligibilityAnswers, or with null, when the event has no criteria", async () => {
    // when
    const omitted = await server.gql(REGISTER, { input: withoutAnswers(registrationInput(open)) });
    const asNull = await server.gql(REGISTER, { input: { ...registrationInput(open), eligibilityAnswers: null } });

    // then
    expect(omitted.errors).toBeUndefined();
    expect(omitted.data.register.userErrors).toEqual([]);
    expect(omitted.data.register.registration.status).toBe("AWAITING_PAYMENT");
    expect(asNull.errors).toBeUndefined();
    expect(asNull.data.register.userErrors).toEqual([]);
  });

  it("treats a retry without the list like the first call with an empty one (same idempotency key)", async () => {
    // given
    const input = { ...registrationInput(open), eligibilityAnswers: [], idempotencyKey: "form-no-answers" };
    const first = await server.gql(REGISTER, { input });

    // when
    const retry = await server.gql(REGISTER, { input: withoutAnswers(input) });

    // then
    expect(retry.data.register.userErrors).toEqual([]);
    expect(retry.data.register.registration.id).toBe(first.data.register.registration.id);
  });

  it("refuses it with NOT_ELIGIBLE naming every required criterion when the event has some, storing nothing", async () => {
    // given
    const before = await snapshotDatabase(server);

    // when
    const { data, errors } = await server.gql(REGISTER, { input: withoutAnswers(registrationInput(selective)) });

    // then
    expect(errors).toBeUndefined();
    expect(data.register.registration).toBeNull();
    const required = mbtEligibilityCriteria.map((criterion, index) => ({ ...criterion, position: index + 1 })).filter((criterion) => criterion.required);
    expect(data.register.userErrors).toEqual(
      required.map((criterion) => ({ field: ["input", "eligibilityAnswers"], code: "NOT_ELIGIBLE", message: `Criterion ${criterion.position} is required and was not answered: ${criterion.text}` })),
    );
    expect(await snapshotDatabase(server)).toEqual(before);
  });
});
