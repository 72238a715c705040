import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { courseInput, createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { drain, receivedEmail, startMailHarness, type MailHarness } from "../mail/mail-harness.js";

const UPDATE_EVENT = /* GraphQL */ `
  mutation ($id: ID!, $input: EventInput!) { updateEvent(id: $id, input: $input) { event { capacity seatsRemaining } userErrors { field code message } } }
`;
const REGISTRATION = /* GraphQL */ `
  query ($id: ID!) { registration(id: $id) { status waitlistPosition offerExpiresAt timeline { action fromStatus toStatus } } }
`;

const HOUR = 3_600_000;

describe("raising an event's capacity", () => {
  let mail: MailHarness;

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z" });
  });
  afterAll(() => mail.close());

  async function register(course: TestCourse): Promise<{ id: string; status: string }> {
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(course) });
    expect(data.register.userErrors).toEqual([]);
    return data.register.registration;
  }

  /** A course of 5 with review: five applications hold the seats, two wait. */
  async function fullCourseWithTwoWaiting() {
    const course = await createCourse(mail.server, { capacity: 5 });
    for (let i = 0; i < 5; i++) expect((await register(course)).status).toBe("PENDING_REVIEW");
    const first = await register(course);
    const second = await register(course);
    expect([first.status, second.status]).toEqual(["WAITLISTED", "WAITLISTED"]);
    return { course, first, second };
  }

  const raiseCapacity = (course: TestCourse, capacity: number | null) => mail.server.admin(UPDATE_EVENT, { id: course.id, input: courseInput({ slug: course.slug, venueId: course.venueId, capacity }) });
  const registration = async (id: string) => (await mail.server.admin(REGISTRATION, { id })).data.registration;

  it("5 → 6 with two waiting: the seat is offered to the first in line, not to the next newcomer", async () => {
    // given
    const { course, first, second } = await fullCourseWithTwoWaiting();

    // when
    const updated = await raiseCapacity(course, 6);
    const newcomer = await register(course);

    // then the longest-waiting applicant holds the new seat, with the usual offer window
    expect(updated.data.updateEvent).toEqual({ event: { capacity: 6, seatsRemaining: 0 }, userErrors: [] });
    const offered = await registration(first.id);
    expect(offered).toMatchObject({ status: "PENDING_REVIEW", waitlistPosition: null });
    expect(new Date(offered.offerExpiresAt).getTime()).toBe(mail.server.clock.now().getTime() + 72 * HOUR);
    expect(offered.timeline.at(-1)).toEqual({ action: "PROMOTED", fromStatus: "WAITLISTED", toStatus: "PENDING_REVIEW" });
    // the second moves up, and the newcomer queues behind
    expect(await registration(second.id)).toMatchObject({ status: "WAITLISTED", waitlistPosition: 1 });
    expect(newcomer.status).toBe("WAITLISTED");
    expect(await registration(newcomer.id)).toMatchObject({ waitlistPosition: 2 });
    // and the offer is mailed
    await drain(mail.server.app.worker);
    const offer = await receivedEmail(mail, first.id, "WAITLIST_PLACE_OFFERED");
    expect(offer.envelope.to).toHaveLength(1);
  });

  it("5 → 8 with two waiting: both are offered a seat in their order, and the one seat left goes to a newcomer", async () => {
    // given
    const { course, first, second } = await fullCourseWithTwoWaiting();

    // when
    await raiseCapacity(course, 8);
    const newcomer = await register(course);

    // then
    expect((await registration(first.id)).status).toBe("PENDING_REVIEW");
    expect((await registration(second.id)).status).toBe("PENDING_REVIEW");
    expect(newcomer.status).toBe("PENDING_REVIEW");
    expect((await register(course)).status).toBe("WAITLISTED");
  });

  it("no capacity at all (unlimited): everyone waiting is offered a seat", async () => {
    const { course, first, second } = await fullCourseWithTwoWaiting();
    await raiseCapacity(course, null);
    expect([(await registration(first.id)).status, (await registration(second.id)).status]).toEqual(["PENDING_REVIEW", "PENDING_REVIEW"]);
  });
});
