import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const REGISTRATION = /* GraphQL */ `
  query ($id: ID, $reference: String) {
    registration(id: $id, reference: $reference) {
      id reference status waitlistPosition reviewNote cancelledAt prerequisiteCompletedAt offerExpiresAt
      attendee { firstName lastName email profession professionOther employer }
      eligibilityAnswers { criterion { position required } met details }
      payment { amountDue { amountMinor currency formatted } amountPaid { amountMinor formatted } paidInFull payments { amount { amountMinor currency } method reference receivedAt } }
      accessGrant { status scheduledFor grantedAt }
      event { id seatsRemaining }
    }
  }
`;

const TIMELINE = /* GraphQL */ `
  query ($id: ID!) { registration(id: $id) { timeline { actor action fromStatus toStatus note } emails { kind to status } } }
`;

const REVIEW = /* GraphQL */ `
  mutation ($input: ReviewRegistrationInput!) {
    reviewRegistration(input: $input) { registration { id status reviewNote } userErrors { field code message } }
  }
`;

const PAY = /* GraphQL */ `
  mutation ($input: RecordPaymentInput!) {
    recordPayment(input: $input) { registration { id status payment { amountPaid { amountMinor } paidInFull } accessGrant { status scheduledFor grantedAt } } userErrors { field code message } }
  }
`;

const CANCEL = /* GraphQL */ `
  mutation ($input: CancelRegistrationInput!) {
    cancelRegistration(input: $input) { registration { id status cancelledAt accessGrant { status } } userErrors { field code message } }
  }
`;

const LIST = /* GraphQL */ `
  query ($eventId: ID, $status: [RegistrationStatus!], $search: String, $first: Int, $after: String) {
    registrations(eventId: $eventId, status: $status, search: $search, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { reference status attendee { email } } }
    }
  }
`;

const EVENT_REGISTRATIONS = /* GraphQL */ `
  query ($id: ID!) { event(id: $id) { registrations(first: 50, status: [WAITLISTED]) { totalCount edges { node { waitlistPosition } } } } }
`;

const COMPLETED = /* GraphQL */ `
  mutation ($id: ID!, $at: DateTime) { markPrerequisiteCompleted(registrationId: $id, completedAt: $at) { registration { prerequisiteCompletedAt } userErrors { code } } }
`;

describe("a registration's lifecycle", () => {
  let server: TestServer;
  let course: TestCourse;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    course = await createCourse(server);
  });
  afterAll(() => server.close());

  async function registerTo(target: TestCourse, overrides: Record<string, unknown> = {}, attendee: Record<string, unknown> = {}) {
    const { data } = await server.gql(REGISTER, { input: registrationInput(target, overrides, attendee) });
    expect(data.register.userErrors).toEqual([]);
    return { id: data.register.registration.id as string, reference: data.register.registration.reference as string, token: data.register.manageToken as string, status: data.register.registration.status as string };
  }

  const read = async (id: string) => (await server.admin(REGISTRATION, { id })).data.registration;

  it("goes from application to a confirmed, paid place, with partial payments summed", async () => {
    // given an application
    const { id } = await registerTo(course);
    // when an admin approves it
    const approved = await server.admin(REVIEW, { input: { registrationId: id, decision: "APPROVE", note: "Meets all criteria" } });
    // then it waits for payment
    expect(approved.data.reviewRegistration).toMatchObject({ registration: { status: "AWAITING_PAYMENT", reviewNote: "Meets all criteria" }, userErrors: [] });
    // when half is paid
    const half = await server.admin(PAY, { input: { registrationId: id, amountMinor: 62500, currency: "usd", method: "card", reference: "ch_1" } });
    expect(half.data.recordPayment.registration).toMatchObject({ status: "AWAITING_PAYMENT", payment: { amountPaid: { amountMinor: 62500 }, paidInFull: false }, accessGrant: { status: "NOT_ELIGIBLE" } });
    // and the rest
    const rest = await server.admin(PAY, { input: { registrationId: id, amountMinor: 62500, currency: "USD", method: "bank transfer", receivedAt: "2023-06-01T10:00:00Z" } });
    // then it is confirmed, and access to the online course is scheduled one month before the start
    expect(rest.data.recordPayment.registration).toMatchObject({
      status: "CONFIRMED",
      payment: { amountPaid: { amountMinor: 125000 }, paidInFull: true },
      accessGrant: { status: "SCHEDULED", scheduledFor: "2023-09-04T15:30:00.000Z", grantedAt: null },
    });
    const registration = await read(id);
    expect(registration.payment).toMatchObject({ amountDue: { amountMinor: 125000, currency: "USD", formatted: "$1,250.00" }, amountPaid: { formatted: "$1,250.00" } });
    expect(registration.payment.payments.map((p: { method: string }) => p.method)).toEqual(["bank transfer", "card"]);
    const { data } = await server.admin(TIMELINE, { id });
    expect(data.registration.timeline.map((c: { action: string }) => c.action)).toEqual(["REGISTERED", "APPROVED", "PAYMENT_RECORDED", "PAYMENT_RECORDED", "PAID_IN_FULL"]);
    expect(data.registration.timeline[1]).toMatchObject({ actor: expect.stringMatching(/^admin:key_/), fromStatus: "PENDING_REVIEW", toStatus: "AWAITING_PAYMENT", note: "Meets all criteria" });
    // (a receipt for each payment; the two of the last payment share its millisecond, so they are compared unordered)
    expect(data.registration.emails.map((e: { kind: string }) => e.kind).sort()).toEqual(["APPLICATION_APPROVED", "BOOKING_CONFIRMED", "PAYMENT_RECEIVED", "PAYMENT_RECEIVED", "REGISTRATION_RECEIVED"]);
  });

  it("confirms at approval when the place is already paid, and grants access at once after it has opened", async () => {
    const { id } = await registerTo(course);
    await server.admin(PAY, { input: { registrationId: id, amountMinor: 125000, currency: "USD", method: "card" } });
    server.clock.set("2023-09-10T12:00:00Z");
    const approved = await server.admin(REVIEW, { input: { registrationId: id, decision: "APPROVE" } });
    expect(approved.data.reviewRegistration.registration.status).toBe("CONFIRMED");
    const registration = await read(id);
    expect(registration.accessGrant).toMatchObject({ status: "GRANTED", grantedAt: "2023-09-10T12:00:00.000Z" });
    server.clock.set("2023-06-01T12:00:00Z");
  });

  it("confirms a free course at approval, and a free course without review at once", async () => {
    const free = await createCourse(server, { priceMinor: null, currency: null });
    const { id } = await registerTo(free);
    const approved = await server.admin(REVIEW, { input: { registrationId: id, decision: "APPROVE" } });
    expect(approved.data.reviewRegistration.registration.status).toBe("CONFIRMED");
    const open = await createCourse(server, { priceMinor: null, currency: null, requiresReview: false });
    expect((await registerTo(open)).status).toBe("CONFIRMED");
    const paidNoReview = await createCourse(server, { requiresReview: false });
    expect((await registerTo(paidNoReview)).status).toBe("AWAITING_PAYMENT");
  });

  it("rejects with a note, frees the seat and offers it to the longest-waiting applicant", async () => {
    // given a full one-seat course with two on the waitlist
    const tiny = await createCourse(server, { capacity: 1 });
    const holder = await registerTo(tiny);
    const firstWaiting = await registerTo(tiny);
    const secondWaiting = await registerTo(tiny);
    expect([firstWaiting.status, secondWaiting.status]).toEqual(["WAITLISTED", "WAITLISTED"]);
    // when the holder is rejected
    const rejected = await server.admin(REVIEW, { input: { registrationId: holder.id, decision: "REJECT", note: "Criterion 3 not met" } });
    // then
    expect(rejected.data.reviewRegistration.registration).toMatchObject({ status: "REJECTED", reviewNote: "Criterion 3 not met" });
    const promoted = await read(firstWaiting.id);
    expect(promoted).toMatchObject({ status: "PENDING_REVIEW", waitlistPosition: null, offerExpiresAt: "2023-06-04T12:00:00.000Z", event: { seatsRemaining: 0 } });
    expect((await read(secondWaiting.id)).waitlistPosition).toBe(1);
    const { data } = await server.admin(TIMELINE, { id: firstWaiting.id });
    expect(data.registration.emails.map((e: { kind: string }) => e.kind)).toEqual(["WAITLISTED", "WAITLIST_PLACE_OFFERED"]);
    // and reviewing again is refused
    const again = await server.admin(REVIEW, { input: { registrationId: holder.id, decision: "APPROVE" } });
    expect(again.data.reviewRegistration.userErrors).toEqual([expect.objectContaining({ code: "INVALID_STATE" })]);
  });

  it("lets the registrant read and cancel their own registration with the manage token, promoting the next in line", async () => {
    const tiny = await createCourse(server, { capacity: 1, requiresReview: false });
    const holder = await registerTo(tiny);
    const waiting = await registerTo(tiny);
    const other = await registerTo(course);
    // the token opens its own registration only
    expect((await server.gql(REGISTRATION, { id: holder.id }, { token: holder.token })).data.registration.id).toBe(holder.id);
    expect((await server.gql(REGISTRATION, { id: other.id }, { token: holder.token })).data.registration).toBeNull();
    const foreign = await server.gql(CANCEL, { input: { registrationId: other.id } }, { token: holder.token });
    expect(foreign.data.cancelRegistration.userErrors).toEqual([expect.objectContaining({ code: "NOT_FOUND" })]);
    // when the registrant cancels
    const cancelled = await server.gql(CANCEL, { input: { registrationId: holder.id, reason: "Cannot travel" } }, { token: holder.token });
    // then
    expect(cancelled.data.cancelRegistration.registration).toMatchObject({ status: "CANCELLED", cancelledAt: "2023-06-01T12:00:00.000Z" });
    expect((await read(waiting.id)).status).toBe("AWAITING_PAYMENT");
    const { data } = await server.admin(TIMELINE, { id: holder.id });
    expect(data.registration.timeline.at(-1)).toMatchObject({ actor: "registrant", action: "CANCELLED", fromStatus: "AWAITING_PAYMENT", toStatus: "CANCELLED", note: "Cannot travel" });
    const twice = await server.gql(CANCEL, { input: { registrationId: holder.id } }, { token: holder.token });
    expect(twice.data.cancelRegistration.userErrors).toEqual([expect.objectContaining({ code: "INVALID_STATE" })]);
    // anonymous callers are asked for credentials
    const anonymous = await server.gql(CANCEL, { input: { registrationId: waiting.id } });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("revokes granted access on cancellation", async () => {
    const { id, token } = await registerTo(course);
    server.clock.set("2023-09-20T12:00:00Z");
    await server.admin(REVIEW, { input: { registrationId: id, decision: "APPROVE" } });
    await server.admin(PAY, { input: { registrationId: id, amountMinor: 125000, currency: "USD", method: "card" } });
    expect((await read(id)).accessGrant.status).toBe("GRANTED");
    const cancelled = await server.gql(CANCEL, { input: { registrationId: id } }, { token });
    expect(cancelled.data.cancelRegistration.registration.accessGrant.status).toBe("REVOKED");
    server.clock.set("2023-06-01T12:00:00Z");
  });

  it("lapses an offered place after the event's offer window and offers it to the next in line", async () => {
    // given a one-seat course with a 24 h offer window, its holder cancelled, the first waiting offered the place
    const tiny = await createCourse(server, { capacity: 1, requiresReview: false, offerWindowHours: 24 });
    const holder = await registerTo(tiny);
    const first = await registerTo(tiny);
    const second = await registerTo(tiny);
    await server.admin(CANCEL, { input: { registrationId: holder.id } });
    expect((await read(first.id)).status).toBe("AWAITING_PAYMENT");
    const { lapseExpiredOffers } = await import("../../src/modules/registrations/registrations.service.js");
    // when the window has not passed, nothing happens
    server.clock.advance(23 * 3_600_000);
    expect(await lapseExpiredOffers(server.app.deps)).toBe(0);
    // when it has, the offer lapses (twice is the same as once)
    server.clock.advance(2 * 3_600_000);
    expect(await lapseExpiredOffers(server.app.deps)).toBe(1);
    expect(await lapseExpiredOffers(server.app.deps)).toBe(0);
    // then
    expect((await read(first.id)).status).toBe("CANCELLED");
    expect(await read(second.id)).toMatchObject({ status: "AWAITING_PAYMENT", offerExpiresAt: "2023-06-03T13:00:00.000Z" });
    const { data } = await server.admin(TIMELINE, { id: first.id });
    expect(data.registration.timeline.at(-1)).toMatchObject({ actor: "system", action: "OFFER_LAPSED" });
    // a payment in time keeps the place
    await server.admin(PAY, { input: { registrationId: second.id, amountMinor: 125000, currency: "USD", method: "card" } });
    server.clock.advance(48 * 3_600_000);
    await lapseExpiredOffers(server.app.deps);
    expect((await read(second.id)).status).toBe("CONFIRMED");
    server.clock.set("2023-06-01T12:00:00Z");
  });

  it("refuses bad payments: wrong currency, non-positive amounts, cancelled registrations", async () => {
    const { id } = await registerTo(course);
    const wrongCurrency = await server.admin(PAY, { input: { registrationId: id, amountMinor: 100, currency: "GBP", method: "card" } });
    expect(wrongCurrency.data.recordPayment.userErrors).toEqual([expect.objectContaining({ code: "INVALID", field: ["input", "currency"] })]);
    const zero = await server.admin(PAY, { input: { registrationId: id, amountMinor: 0, currency: "USD", method: "card" } });
    expect(zero.data.recordPayment.userErrors).toEqual([expect.objectContaining({ code: "INVALID", field: ["input", "amountMinor"] })]);
    const unknown = await server.admin(PAY, { input: { registrationId: "reg_01JD0000000000000000000000", amountMinor: 10, currency: "USD", method: "card" } });
    expect(unknown.data.recordPayment.userErrors).toEqual([expect.objectContaining({ code: "NOT_FOUND" })]);
    await server.admin(CANCEL, { input: { registrationId: id } });
    const cancelled = await server.admin(PAY, { input: { registrationId: id, amountMinor: 10, currency: "USD", method: "card" } });
    expect(cancelled.data.recordPayment.userErrors).toEqual([expect.objectContaining({ code: "INVALID_STATE" })]);
    expect((await read(id)).payment.payments).toEqual([]);
    const anonymous = await server.gql(PAY, { input: { registrationId: id, amountMinor: 10, currency: "USD", method: "card" } });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("records prerequisite completion", async () => {
    const { id } = await registerTo(course);
    const done = await server.admin(COMPLETED, { id, at: "2023-05-30T09:00:00Z" });
    expect(done.data.markPrerequisiteCompleted.registration.prerequisiteCompletedAt).toBe("2023-05-30T09:00:00.000Z");
    const future = await server.admin(COMPLETED, { id, at: "2024-01-01T00:00:00Z" });
    expect(future.data.markPrerequisiteCompleted.userErrors).toEqual([expect.objectContaining({ code: "INVALID" })]);
  });

  it("finds registrations by reference, by name, email or reference search, page by page, with the event's waitlist", async () => {
    const target = await createCourse(server, { capacity: 2 });
    const regs = [];
    for (const lastName of ["Winnicott", "Klein", "Bowlby", "Ainsworth", "Main"]) regs.push(await registerTo(target, {}, { lastName }));
    const byReference = await server.admin(REGISTRATION, { reference: regs[2]!.reference.toLowerCase() });
    expect(byReference.data.registration.id).toBe(regs[2]!.id);
    expect((await server.admin(LIST, { eventId: target.id, search: "klein" })).data.registrations.totalCount).toBe(1);
    expect((await server.admin(LIST, { eventId: target.id, search: regs[4]!.reference })).data.registrations.edges[0].node.reference).toBe(regs[4]!.reference);
    expect((await server.admin(LIST, { eventId: target.id, status: ["WAITLISTED"] })).data.registrations.totalCount).toBe(3);
    const page1 = (await server.admin(LIST, { eventId: target.id, first: 2 })).data.registrations;
    const page2 = (await server.admin(LIST, { eventId: target.id, first: 2, after: page1.pageInfo.endCursor })).data.registrations;
    const page3 = (await server.admin(LIST, { eventId: target.id, first: 2, after: page2.pageInfo.endCursor })).data.registrations;
    expect([...page1.edges, ...page2.edges, ...page3.edges].map((e: { node: { reference: string } }) => e.node.reference)).toEqual(regs.map((r) => r.reference));
    expect([page1.pageInfo.hasNextPage, page2.pageInfo.hasNextPage, page3.pageInfo.hasNextPage]).toEqual([true, true, false]);
    const waitlist = await server.admin(EVENT_REGISTRATIONS, { id: target.id });
    expect(waitlist.data.event.registrations.edges.map((e: { node: { waitlistPosition: number } }) => e.node.waitlistPosition)).toEqual([1, 2, 3]);
    // the registrant sees only their own
    const own = await server.gql(LIST, { eventId: target.id }, { token: regs[0]!.token });
    expect(own.data.registrations.totalCount).toBe(1);
    const anonymous = await server.gql(LIST, { eventId: target.id });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const eventAsRegistrant = await server.gql(EVENT_REGISTRATIONS, { id: target.id }, { token: regs[0]!.token });
    expect(eventAsRegistrant.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("keeps the answers given, in criterion order", async () => {
    const input = registrationInput(course);
    input.eligibilityAnswers.reverse();
    input.eligibilityAnswers[0] = { criterionId: course.criteria[4]!.id, met: false, details: "Planned for next year" };
    const { data } = await server.gql(REGISTER, { input });
    const registration = await read(data.register.registration.id);
    expect(registration.eligibilityAnswers.map((a: { criterion: { position: number } }) => a.criterion.position)).toEqual([1, 2, 3, 4, 5]);
    expect(registration.eligibilityAnswers[4]).toMatchObject({ met: false, details: "Planned for next year", criterion: { required: false } });
  });
});
