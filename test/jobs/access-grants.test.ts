import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { deliveries, drain, receivedEmail, startMailHarness, type MailHarness } from "../mail/mail-harness.js";

const APPROVE = /* GraphQL */ `
  mutation ($id: ID!) { reviewRegistration(input: { registrationId: $id, decision: APPROVE }) { registration { status } userErrors { code } } }
`;
const PAY = /* GraphQL */ `
  mutation ($id: ID!, $amount: Int!) {
    recordPayment(input: { registrationId: $id, amountMinor: $amount, currency: "USD", method: "card" }) {
      registration { status accessGrant { status scheduledFor grantedAt } } userErrors { code message }
    }
  }
`;
const ACCESS = /* GraphQL */ `
  query ($id: ID!) { registration(id: $id) { status accessGrant { status scheduledFor grantedAt earlyAccessRequestedAt earlyAccessReason } } }
`;
const REQUEST_EARLY = /* GraphQL */ `
  mutation ($input: RequestEarlyAccessInput!) { requestEarlyAccess(input: $input) { registration { accessGrant { status earlyAccessReason } } userErrors { field code } } }
`;
const GRANT_EARLY = /* GraphQL */ `
  mutation ($id: ID!) { grantEarlyAccess(registrationId: $id) { registration { accessGrant { status grantedAt } } userErrors { code message } } }
`;
const CANCEL = /* GraphQL */ `
  mutation ($id: ID!) { cancelRegistration(input: { registrationId: $id }) { registration { status accessGrant { status } } userErrors { code } } }
`;

const courseUrl = "https://www.annafreud.org/training/mbt-adult-introduction/";

/** A course whose start is after the autumn clock change and whose access opens before it. */
const novemberSessions = ["2023-11-08", "2023-11-09", "2023-11-10"].map((day, index) => ({ title: `Day ${index + 1}`, kind: "LIVE", localStart: `${day}T08:30`, localEnd: `${day}T16:30` }));
/** 2023-11-08 08:30 PST is 16:30Z; one month earlier, 2023-10-08 08:30, is PDT: 15:30Z. */
const novemberOpensAt = "2023-10-08T15:30:00.000Z";

describe("prerequisite access grants, driven by the clock", () => {
  let mail: MailHarness;
  let course: TestCourse;

  async function applyAndApprove(target: TestCourse): Promise<{ id: string; manageToken: string }> {
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(target) });
    const id = data.register.registration.id as string;
    expect((await mail.server.admin(APPROVE, { id })).data.reviewRegistration.registration.status).toBe("AWAITING_PAYMENT");
    return { id, manageToken: data.register.manageToken };
  }

  async function accessOf(id: string) {
    return (await mail.server.admin(ACCESS, { id })).data.registration.accessGrant;
  }

  const accessEmails = (id: string) => deliveries(mail.server, { registrationId: id, kind: "ACCESS_GRANTED" });

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-09-01T17:00:00Z" });
    course = await createCourse(mail.server, { sessions: novemberSessions });
  });
  afterAll(() => mail.close());

  // The tests share one clock and run in order: 1 Sep → 8 Oct → 29 Oct → 10 Nov.
  let paidEarly: string;
  let unpaid: string;
  let earlyAsker: { id: string; manageToken: string };

  it("paid two months before: SCHEDULED for the start minus one calendar month, same wall-clock time across the clock change", async () => {
    // given
    paidEarly = (await applyAndApprove(course)).id;
    unpaid = (await applyAndApprove(course)).id;
    earlyAsker = await applyAndApprove(course);
    // when
    const paid = await mail.server.admin(PAY, { id: paidEarly, amount: 125000 });
    // then
    expect(paid.data.recordPayment.registration).toEqual({ status: "CONFIRMED", accessGrant: { status: "SCHEDULED", scheduledFor: novemberOpensAt, grantedAt: null } });
    await drain(mail.server.app.worker);
    expect(await accessEmails(paidEarly)).toHaveLength(0);
    expect((await receivedEmail(mail, paidEarly, "BOOKING_CONFIRMED")).parsed.text).toContain("Access opens on Sun 8 Oct 2023, 8:30 am PDT");
  });

  it("a part payment is not enough: nothing is scheduled", async () => {
    const partial = await mail.server.admin(PAY, { id: unpaid, amount: 50000 });
    expect(partial.data.recordPayment.registration).toEqual({ status: "AWAITING_PAYMENT", accessGrant: { status: "NOT_ELIGIBLE", scheduledFor: null, grantedAt: null } });
  });

  it("early access: the registrant asks (a reason is required), the contact is told, and an admin grants it only once paid in full", async () => {
    // a reason is required
    const blank = await mail.server.gql(REQUEST_EARLY, { input: { registrationId: earlyAsker.id, reason: "  " } }, { token: earlyAsker.manageToken });
    expect(blank.data.requestEarlyAccess.userErrors).toEqual([expect.objectContaining({ field: ["input", "reason"] })]);
    const asked = await mail.server.gql(REQUEST_EARLY, { input: { registrationId: earlyAsker.id, reason: "Parental leave from October" } }, { token: earlyAsker.manageToken });
    expect(asked.data.requestEarlyAccess.userErrors).toEqual([]);
    await drain(mail.server.app.worker);
    const request = await receivedEmail(mail, earlyAsker.id, "EARLY_ACCESS_REQUESTED");
    expect(request.envelope.to).toEqual(["robin@mentalizing.example"]);
    expect(request.parsed.text).toContain("Parental leave from October");
    // not paid yet: refused
    const refused = await mail.server.admin(GRANT_EARLY, { id: earlyAsker.id });
    expect(refused.data.grantEarlyAccess.userErrors).toEqual([expect.objectContaining({ code: "INVALID_STATE" })]);
    expect(await accessEmails(earlyAsker.id)).toHaveLength(0);
    // paid: scheduled, then granted now on request
    await mail.server.admin(PAY, { id: earlyAsker.id, amount: 125000 });
    const granted = await mail.server.admin(GRANT_EARLY, { id: earlyAsker.id });
    expect(granted.data.grantEarlyAccess.registration.accessGrant).toEqual({ status: "GRANTED", grantedAt: "2023-09-01T17:00:00.000Z" });
    await drain(mail.server.app.worker);
    expect((await receivedEmail(mail, earlyAsker.id, "ACCESS_GRANTED")).parsed.text).toContain(courseUrl);
  });

  it("GRANTED by the scheduler when the clock reaches the opening, not a millisecond before, and mailed once", async () => {
    // just before: nothing
    mail.server.clock.set(new Date(Date.parse(novemberOpensAt) - 1));
    await drain(mail.server.app.worker);
    expect(await accessOf(paidEarly)).toMatchObject({ status: "SCHEDULED", grantedAt: null });
    expect(await accessEmails(paidEarly)).toHaveLength(0);
    // at the opening
    mail.server.clock.set(novemberOpensAt);
    const [step] = await drain(mail.server.app.worker);
    expect(step!.jobs.accessGrants).toBe(1);
    expect(await accessOf(paidEarly)).toMatchObject({ status: "GRANTED", grantedAt: novemberOpensAt });
    const email = await receivedEmail(mail, paidEarly, "ACCESS_GRANTED");
    expect(email.parsed.text).toContain(`Start the online course: ${courseUrl}`);
    // later steps change nothing, and the early grant was not repeated
    mail.server.clock.advance(3_600_000);
    const again = await drain(mail.server.app.worker);
    expect(again[0]!.jobs.accessGrants).toBe(0);
    expect(await accessEmails(paidEarly)).toHaveLength(1);
    expect(await accessEmails(earlyAsker.id)).toHaveLength(1);
  });

  it("paid ten days before the start: GRANTED at once, with the email", async () => {
    mail.server.clock.set("2023-10-29T17:00:00Z");
    const late = await applyAndApprove(course);
    const paid = await mail.server.admin(PAY, { id: late.id, amount: 125000 });
    expect(paid.data.recordPayment.registration).toEqual({ status: "CONFIRMED", accessGrant: { status: "GRANTED", scheduledFor: null, grantedAt: "2023-10-29T17:00:00.000Z" } });
    await drain(mail.server.app.worker);
    expect((await receivedEmail(mail, late.id, "ACCESS_GRANTED")).envelope.to).toHaveLength(1);
  });

  it("cancellation revokes access", async () => {
    const cancelled = await mail.server.admin(CANCEL, { id: earlyAsker.id });
    expect(cancelled.data.cancelRegistration.registration).toEqual({ status: "CANCELLED", accessGrant: { status: "REVOKED" } });
  });

  it("never paid in full: never granted, however far the clock moves", async () => {
    mail.server.clock.set("2023-11-10T17:00:00Z");
    await drain(mail.server.app.worker);
    expect(await accessOf(unpaid)).toEqual({ status: "NOT_ELIGIBLE", scheduledFor: null, grantedAt: null, earlyAccessRequestedAt: null, earlyAccessReason: null });
    expect(await accessEmails(unpaid)).toHaveLength(0);
  });
});

describe("the opening keeps its wall-clock time across the spring clock change too", () => {
  let mail: MailHarness;
  afterAll(() => mail.close());

  it("2024-04-03 08:30 PDT starts: access opens 2024-03-03 08:30 PST (16:30Z, not 15:30Z)", async () => {
    mail = await startMailHarness({ now: "2024-01-10T12:00:00Z" });
    const sessions = [{ title: "Day 1", kind: "LIVE", localStart: "2024-04-03T08:30", localEnd: "2024-04-03T16:30" }];
    const spring = await createCourse(mail.server, { sessions, requiresReview: false });
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(spring) });
    const paid = await mail.server.admin(PAY, { id: data.register.registration.id, amount: 125000 });
    expect(paid.data.recordPayment.registration.accessGrant).toEqual({ status: "SCHEDULED", scheduledFor: "2024-03-03T16:30:00.000Z", grantedAt: null });
  });
});
