import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCourse, courseInput, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { calendarOf, deliveries, drain, receivedEmail, startMailHarness, type MailHarness } from "./mail-harness.js";

const REVIEW = /* GraphQL */ `
  mutation ($input: ReviewRegistrationInput!) { reviewRegistration(input: $input) { registration { status } userErrors { code message } } }
`;
const PAY = /* GraphQL */ `
  mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { registration { status accessGrant { status scheduledFor } } userErrors { code message } } }
`;
const CANCEL = /* GraphQL */ `
  mutation ($input: CancelRegistrationInput!) { cancelRegistration(input: $input) { registration { status } userErrors { code message } } }
`;
const EARLY_ACCESS = /* GraphQL */ `
  mutation ($input: RequestEarlyAccessInput!) { requestEarlyAccess(input: $input) { registration { id } userErrors { code message } } }
`;
const UPDATE_EVENT = /* GraphQL */ `
  mutation ($id: ID!, $input: EventInput!) { updateEvent(id: $id, input: $input) { event { id } userErrors { code message } } }
`;
const CANCEL_EVENT = /* GraphQL */ `
  mutation ($id: ID!, $reason: String) { cancelEvent(id: $id, reason: $reason) { event { status } userErrors { code message } } }
`;
const REQUEST_SIGN_IN = /* GraphQL */ `
  mutation ($email: EmailAddress!) { requestSignInLink(email: $email) { ok } }
`;
const SUBSCRIBE = /* GraphQL */ `
  mutation ($input: NewsletterInput!) { subscribeToNewsletter(input: $input) { ok userErrors { code } } }
`;

const publicUrl = "https://courses.example";
const liveDays = ["Wed 4 Oct 2023, 8:30 am – 4:30 pm PDT", "Thu 5 Oct 2023, 8:30 am – 4:30 pm PDT", "Fri 6 Oct 2023, 8:30 am – 4:30 pm PDT"];
const sessionInstants = [
  { start: "2023-10-04T15:30:00.000Z", end: "2023-10-04T23:30:00.000Z" },
  { start: "2023-10-05T15:30:00.000Z", end: "2023-10-05T23:30:00.000Z" },
  { start: "2023-10-06T15:30:00.000Z", end: "2023-10-06T23:30:00.000Z" },
];
const courseUrl = "https://www.annafreud.org/training/mbt-adult-introduction/";
const REGISTRATION_BY_TOKEN = /* GraphQL */ `
  query ($id: ID!) { registration(id: $id) { id reference } }
`;

/** The token of the first `page` link in an email part, as the person would open it. */
function linkToken(part: string, page: string): string {
  const match = new RegExp(`${publicUrl}/${page}#([A-Za-z0-9_%-]+)`).exec(part);
  expect(match, `a ${page} link`).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

interface Registered {
  id: string;
  reference: string;
  email: string;
  manageToken: string;
}

describe("every kind of email, at its moment, to its person, with its content", () => {
  let mail: MailHarness;
  let course: TestCourse;
  let ada: Registered;
  let bob: Registered;
  let eve: Registered;

  async function register(target: TestCourse, attendee: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<Registered> {
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(target, extra, attendee) });
    expect(data.register.userErrors).toEqual([]);
    const registration = data.register.registration;
    return { id: registration.id, reference: registration.reference, email: registration.attendee.email, manageToken: data.register.manageToken };
  }

  /** The facts every registrant email about the course shows, in both parts. */
  function expectBookingFacts(part: string, who: Registered): void {
    expect(part).toContain("MBT Basic Training");
    for (const day of liveDays) expect(part).toContain(day);
    expect(part).toContain("UCLA Faculty Center");
    expect(part).toContain("480 Charles E Young Dr E");
    expect(part).toContain("Los Angeles, CA 90095");
    expect(part).toContain("https://www.openstreetmap.org/?mlat=34.0717&amp;mlon=-118.4422".replace(/&amp;/g, part.includes("<html") ? "&amp;" : "&"));
    expect(part).toContain("ADA compliant");
    expect(part).toContain(who.reference);
    expect(part).toContain("Robin Kissell");
    expect(part).toContain("310-859-7912");
  }

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z", env: { PUBLIC_URL: publicUrl } });
    course = await createCourse(mail.server);
  });
  afterAll(() => mail.close());

  it("REGISTRATION_RECEIVED: on register, to the attendee, with dates, venue, access facts, reference, amount, contact and a personal manage link", async () => {
    // given / when
    ada = await register(course, { lastName: "O'Brien & <Sons>" }, { accessibilityNeeds: "Step-free seating" });
    expect(mail.smtp.received).toHaveLength(0); // queued, not sent, until the worker runs
    await drain(mail.server.app.worker);
    // then
    const email = await receivedEmail(mail, ada.id, "REGISTRATION_RECEIVED");
    expect(email.envelope.to).toEqual([ada.email]);
    expect(email.parsed.to).toMatchObject({ value: [{ address: ada.email, name: "Ada O'Brien & <Sons>" }] });
    expect(email.parsed.replyTo).toMatchObject({ value: [{ address: "robin@mentalizing.example" }] });
    expect(email.parsed.subject).toBe(`Application received: MBT Basic Training (${ada.reference})`);
    expect(email.parsed.headers.get("auto-submitted")).toBe("auto-generated");
    const text = email.parsed.text!;
    const html = String(email.parsed.html);
    expectBookingFacts(text, ada);
    expectBookingFacts(html, ada);
    expect(text).toContain("Amount due: $1,250.00");
    expect(text).toContain("reviewed against the course's eligibility criteria");
    // a manage link minted for this email (not the token register returned), which opens Ada's booking
    const token = linkToken(text, "manage");
    expect(token).toMatch(/^mt_/);
    expect(token).not.toBe(ada.manageToken);
    expect(html).toContain(`href="${publicUrl}/manage#${token}"`);
    expect((await mail.server.gql(REGISTRATION_BY_TOKEN, { id: ada.id }, { token })).data.registration).toEqual({ id: ada.id, reference: ada.reference });
    // the attendee's name is escaped in HTML by the template engine, and verbatim in text
    expect(text).toContain("Ada O'Brien & <Sons>");
    expect(html).toContain("Ada O&#39;Brien &amp; &lt;Sons&gt;");
    expect(html).not.toContain("<Sons>");
    expect(email.parsed.attachments).toHaveLength(0);
  });

  it("APPLICATION_APPROVED: on approval, with the reviewer's note, the amount due and a personal manage link of its own", async () => {
    const review = await mail.server.admin(REVIEW, { input: { registrationId: ada.id, decision: "APPROVE", note: "Welcome aboard" } });
    expect(review.data.reviewRegistration.registration.status).toBe("AWAITING_PAYMENT");
    await drain(mail.server.app.worker);
    const email = await receivedEmail(mail, ada.id, "APPLICATION_APPROVED");
    expect(email.envelope.to).toEqual([ada.email]);
    const text = email.parsed.text!;
    expectBookingFacts(text, ada);
    expect(text).toContain("Note from the reviewer: Welcome aboard");
    expect(text).toContain("please pay the amount due of $1,250.00");
    const token = linkToken(text, "manage");
    expect(text).toContain(`Manage your booking: ${publicUrl}/manage#${token}`);
    expect(token).not.toBe(linkToken((await receivedEmail(mail, ada.id, "REGISTRATION_RECEIVED")).parsed.text!, "manage"));
    expect((await mail.server.gql(REGISTRATION_BY_TOKEN, { id: ada.id }, { token })).data.registration.id).toBe(ada.id);
  });

  it("BOOKING_CONFIRMED: on payment in full, with the amount paid, when access opens, and an .ics of the live sessions at their exact UTC instants", async () => {
    const paid = await mail.server.admin(PAY, { input: { registrationId: ada.id, amountMinor: 125000, currency: "USD", method: "card" } });
    expect(paid.data.recordPayment.registration).toEqual({ status: "CONFIRMED", accessGrant: { status: "SCHEDULED", scheduledFor: "2023-09-04T15:30:00.000Z" } });
    await drain(mail.server.app.worker);
    const email = await receivedEmail(mail, ada.id, "BOOKING_CONFIRMED");
    const text = email.parsed.text!;
    expectBookingFacts(text, ada);
    expectBookingFacts(String(email.parsed.html), ada);
    expect(text).toContain("Paid: $1,250.00 (paid in full)");
    expect(text).toContain("Access opens on Mon 4 Sep 2023, 8:30 am PDT");
    const calendar = calendarOf(email);
    expect(calendar.method).toBe("PUBLISH");
    expect(calendar.filename).toBe("sessions.ics");
    expect(calendar.events.map(({ start, end }) => ({ start, end }))).toEqual(sessionInstants);
    expect(calendar.events.every((event) => event.sequence === 0 && event.status === "CONFIRMED")).toBe(true);
    expect(calendar.events[0]!.location).toContain("480 Charles E Young Dr E, Los Angeles, CA 90095");
    expect(new Set(calendar.events.map((event) => event.uid)).size).toBe(3);
    // access is scheduled, not granted: no course link yet
    expect(await deliveries(mail.server, { registrationId: ada.id, kind: "ACCESS_GRANTED" })).toHaveLength(0);
  });

  it("ACCESS_GRANTED: when the clock reaches the opening, with the prerequisite course's link", async () => {
    mail.server.clock.set("2023-09-04T15:30:00Z");
    await drain(mail.server.app.worker);
    const email = await receivedEmail(mail, ada.id, "ACCESS_GRANTED");
    expect(email.envelope.to).toEqual([ada.email]);
    expect(email.parsed.text).toContain(`Start the online course: ${courseUrl}`);
    expect(String(email.parsed.html)).toContain(`href="${courseUrl}"`);
    expect(email.parsed.text).toContain("Mentalizing and Mentalization Based Treatment with Adults (MBT Adult) – An Introduction");
  });

  it("EARLY_ACCESS_REQUESTED: to the event's contact, naming the registrant, their reason and what they have paid", async () => {
    // given a second applicant, not yet paid
    bob = await register(course, { firstName: "Bob", lastName: "Bateman" });
    // when they ask through their own manage token
    const asked = await mail.server.gql(EARLY_ACCESS, { input: { registrationId: bob.id, reason: "I travel in September" } }, { token: bob.manageToken });
    expect(asked.data.requestEarlyAccess.userErrors).toEqual([]);
    await drain(mail.server.app.worker);
    // then
    const email = await receivedEmail(mail, bob.id, "EARLY_ACCESS_REQUESTED");
    expect(email.envelope.to).toEqual(["robin@mentalizing.example"]);
    expect(email.parsed.replyTo).toBeUndefined();
    const text = email.parsed.text!;
    expect(text).toContain(`Bob Bateman (${bob.email}, reference ${bob.reference})`);
    expect(text).toContain("I travel in September");
    expect(text).toContain("Payment: $0.00 of $1,250.00 paid");
    expect(text).toContain("grantEarlyAccess");
    expect(text).toContain(`${publicUrl}/graphql`);
  });

  it("PREREQUISITE_REMINDER: 14 days before the start, to the confirmed registrant who has not completed the course", async () => {
    mail.server.clock.set("2023-09-20T15:30:00Z");
    await drain(mail.server.app.worker);
    const email = await receivedEmail(mail, ada.id, "PREREQUISITE_REMINDER");
    expect(email.row.dedupeKey).toBe(`${ada.id}:PREREQUISITE_REMINDER:d14`);
    expect(email.parsed.text).toContain("MBT Basic Training starts in 14 days, on 4 Oct 2023");
    expect(email.parsed.text).toContain(courseUrl);
    // Bob is not confirmed: no reminder
    expect(await deliveries(mail.server, { registrationId: bob.id, kind: "PREREQUISITE_REMINDER" })).toHaveLength(0);
  });

  it("APPLICATION_REJECTED: on rejection, with the reason", async () => {
    const carol = await register(course, { firstName: "Carol" });
    await mail.server.admin(REVIEW, { input: { registrationId: carol.id, decision: "REJECT", note: "Criterion 3: one year of experience is needed" } });
    await drain(mail.server.app.worker);
    const email = await receivedEmail(mail, carol.id, "APPLICATION_REJECTED");
    expect(email.envelope.to).toEqual([carol.email]);
    expect(email.parsed.text).toContain("unable to offer you a place");
    expect(email.parsed.text).toContain("Reason: Criterion 3: one year of experience is needed");
    expect(email.parsed.text).toContain(carol.reference);
  });

  it("WAITLISTED, REGISTRATION_CANCELLED and WAITLIST_PLACE_OFFERED: a full event's queue moving", async () => {
    // given an event with one seat, no review
    const small = await createCourse(mail.server, { capacity: 1, requiresReview: false, priceMinor: 10000, title: "MBT Skills Day" });
    const dan = await register(small, { firstName: "Dan" });
    eve = await register(small, { firstName: "Eve" });
    await drain(mail.server.app.worker);
    const waitlisted = await receivedEmail(mail, eve.id, "WAITLISTED");
    expect(waitlisted.envelope.to).toEqual([eve.email]);
    expect(waitlisted.parsed.text).toContain("MBT Skills Day is currently full, so you are on the waitlist at position 1");
    const eveToken = linkToken(waitlisted.parsed.text!, "manage");
    expect((await mail.server.gql(REGISTRATION_BY_TOKEN, { id: eve.id }, { token: eveToken })).data.registration.id).toBe(eve.id);
    expect((await receivedEmail(mail, dan.id, "REGISTRATION_RECEIVED")).parsed.text).toContain("confirmed once the amount due of $100.00 is paid");

    // when the seat holder cancels
    const cancelled = await mail.server.gql(CANCEL, { input: { registrationId: dan.id, reason: "Schedule clash" } }, { token: dan.manageToken });
    expect(cancelled.data.cancelRegistration.registration.status).toBe("CANCELLED");
    await drain(mail.server.app.worker);

    // then the canceller is told, and the first in the queue is offered the place
    const cancellation = await receivedEmail(mail, dan.id, "REGISTRATION_CANCELLED");
    expect(cancellation.envelope.to).toEqual([dan.email]);
    expect(cancellation.parsed.text).toContain("Your registration for MBT Skills Day has been cancelled.");
    expect(cancellation.parsed.text).toContain("Reason: Schedule clash");
    expect(cancellation.parsed.attachments).toHaveLength(0); // Dan never had the sessions in his calendar
    const offer = await receivedEmail(mail, eve.id, "WAITLIST_PLACE_OFFERED");
    expect(offer.envelope.to).toEqual([eve.email]);
    // held for 72 hours from now (2023-09-20T15:30Z), shown in the event's zone
    expect(offer.parsed.text).toContain("We are holding it for you until Sat 23 Sep 2023, 8:30 am PDT");
    expect(offer.parsed.text).toContain("please pay the amount due of $100.00");
  });

  it("REGISTRATION_CANCELLED after a booking: the sessions it put in the calendar are removed with METHOD:CANCEL", async () => {
    // given Eve takes the offered place and gets the calendar
    await mail.server.admin(PAY, { input: { registrationId: eve.id, amountMinor: 10000, currency: "USD", method: "card" } });
    await drain(mail.server.app.worker);
    const booked = calendarOf(await receivedEmail(mail, eve.id, "BOOKING_CONFIRMED"));
    expect(booked.method).toBe("PUBLISH");
    // when she cancels
    await mail.server.gql(CANCEL, { input: { registrationId: eve.id } }, { token: eve.manageToken });
    await drain(mail.server.app.worker);
    // then
    const email = await receivedEmail(mail, eve.id, "REGISTRATION_CANCELLED");
    expect(email.parsed.text).toContain("The attached calendar file (cancelled.ics) removes the sessions from your calendar.");
    expect(email.parsed.text).toContain("For anything about the $100.00 you paid");
    const calendar = calendarOf(email);
    expect(calendar.method).toBe("CANCEL");
    expect(calendar.filename).toBe("cancelled.ics");
    expect(calendar.events.map((event) => event.uid)).toEqual(booked.events.map((event) => event.uid));
    expect(calendar.events.every((event) => event.status === "CANCELLED" && event.sequence === 1)).toBe(true);
  });

  it("EVENT_CHANGED: a moved session mails every active registrant the new times and an .ics with the same UIDs and a higher SEQUENCE", async () => {
    const confirmedUids = calendarOf(await receivedEmail(mail, ada.id, "BOOKING_CONFIRMED")).events.map((event) => event.uid);
    // when day 2 moves a week later
    const sessions = ["2023-10-04", "2023-10-12", "2023-10-06"].map((day, index) => ({ title: `Day ${index + 1}`, kind: "LIVE", localStart: `${day}T08:30`, localEnd: `${day}T16:30` }));
    const updated = await mail.server.admin(UPDATE_EVENT, { id: course.id, input: courseInput({ slug: course.slug, venueId: course.venueId, sessions }) });
    expect(updated.data.updateEvent.userErrors).toEqual([]);
    await drain(mail.server.app.worker);
    // then Ada (confirmed) and Bob (pending review) are told; Carol (rejected) is not
    for (const person of [ada, bob]) {
      const email = await receivedEmail(mail, person.id, "EVENT_CHANGED");
      expect(email.envelope.to).toEqual([person.email]);
      expect(email.parsed.subject).toBe(`Schedule changed: MBT Basic Training (${person.reference})`);
      expect(email.parsed.text).toContain("Thu 12 Oct 2023, 8:30 am – 4:30 pm PDT");
      expect(email.parsed.text).not.toContain("Thu 5 Oct 2023");
      const calendar = calendarOf(email);
      expect(calendar.method).toBe("PUBLISH");
      expect(calendar.events.map((event) => event.start)).toEqual(["2023-10-04T15:30:00.000Z", "2023-10-06T15:30:00.000Z", "2023-10-12T15:30:00.000Z"]);
      expect(calendar.events.every((event) => event.sequence === 1)).toBe(true);
      expect(calendar.events.map((event) => event.uid).sort()).toEqual([...confirmedUids].sort());
    }
    expect(mail.smtp.received.filter((email) => email.parsed.subject?.startsWith("Schedule changed"))).toHaveLength(2);
  });

  it("EVENT_CHANGED (cancelled): cancelling the event mails each active registrant once, with a METHOD:CANCEL calendar", async () => {
    const before = mail.smtp.received.length;
    const cancelled = await mail.server.admin(CANCEL_EVENT, { id: course.id, reason: "The trainer is unwell" });
    expect(cancelled.data.cancelEvent.event.status).toBe("CANCELLED");
    await drain(mail.server.app.worker);
    expect(mail.smtp.received.length - before).toBe(2);
    const email = (await deliveries(mail.server, { registrationId: ada.id, kind: "EVENT_CHANGED" })).find((row) => row.payload.cancelled === true)!;
    const received = mail.smtp.received.filter((message) => message.messageId === email.messageId);
    expect(received).toHaveLength(1);
    const message = received[0]!;
    expect(message.envelope.to).toEqual([ada.email]);
    expect(message.parsed.subject).toBe(`Cancelled: MBT Basic Training (${ada.reference})`);
    expect(message.parsed.text).toContain("MBT Basic Training has been cancelled: The trainer is unwell");
    expect(message.parsed.text).toContain("You paid $1,250.00");
    const calendar = calendarOf(message);
    expect(calendar.method).toBe("CANCEL");
    expect(calendar.events).toHaveLength(3);
    expect(calendar.events.every((event) => event.status === "CANCELLED" && event.sequence === 2)).toBe(true);
    // one email per person: no separate REGISTRATION_CANCELLED
    expect(await deliveries(mail.server, { registrationId: ada.id, kind: "REGISTRATION_CANCELLED" })).toHaveLength(0);
  });

  it("REGISTRANT_SIGN_IN: a single-use sign-in link to the address that asked", async () => {
    await mail.server.gql(REQUEST_SIGN_IN, { email: ada.email });
    await drain(mail.server.app.worker);
    const rows = await deliveries(mail.server, { kind: "REGISTRANT_SIGN_IN" });
    expect(rows).toHaveLength(1);
    const email = mail.smtp.received.find((message) => message.messageId === rows[0]!.messageId)!;
    expect(email.envelope.to).toEqual([ada.email]);
    const token = linkToken(email.parsed.text!, "sign-in");
    expect(email.parsed.text).toContain(`Sign in: ${publicUrl}/sign-in#${token}`);
    expect(String(email.parsed.html)).toContain(`href="${publicUrl}/sign-in#${token}"`);
    // the expiry as a duration and in the zone of the person's course, not UTC
    expect(email.parsed.text).toMatch(/It works once and is valid for 20 minutes, until \w{3} \d{1,2} \w{3} 2023, [\d:]+ (am|pm) PDT\./);
    expect(String(email.parsed.html)).toMatch(/It works once and is valid for 20 minutes, until \w{3} \d{1,2} \w{3} 2023, [\d:]+ (am|pm) PDT\./);
  });

  it("NEWSLETTER_CONFIRM: double opt-in with confirm and unsubscribe links", async () => {
    await mail.server.gql(SUBSCRIBE, { input: { email: "reader@clinic.example", firstName: "Rita", consent: true } });
    await drain(mail.server.app.worker);
    const rows = await deliveries(mail.server, { kind: "NEWSLETTER_CONFIRM" });
    expect(rows).toHaveLength(1);
    const email = mail.smtp.received.find((message) => message.messageId === rows[0]!.messageId)!;
    expect(email.envelope.to).toEqual(["reader@clinic.example"]);
    const confirmToken = linkToken(email.parsed.text!, "newsletter/confirm");
    const unsubscribeToken = linkToken(email.parsed.text!, "newsletter/unsubscribe");
    expect([confirmToken.slice(0, 3), unsubscribeToken.slice(0, 3)]).toEqual(["nc_", "nu_"]);
    expect(email.parsed.text).toContain("Dear Rita,");
    expect(email.parsed.text).toContain(`Confirm my subscription: ${publicUrl}/newsletter/confirm#${confirmToken}`);
    expect(email.parsed.text).toContain(`${publicUrl}/newsletter/unsubscribe#${unsubscribeToken}`);
    const unfoldedHeaders = email.raw.toString("utf8").replace(/\r\n[ \t]+/g, " ");
    expect(unfoldedHeaders).toContain(`List-Unsubscribe: <${publicUrl}/newsletter/unsubscribe#${unsubscribeToken}>`);
  });

  it("sent every kind there is, each exactly once per occasion, each with both parts and its own stable Message-ID", async () => {
    const rows = await deliveries(mail.server);
    expect(new Set(rows.map((row) => row.kind))).toEqual(
      new Set([
        "REGISTRATION_RECEIVED",
        "APPLICATION_APPROVED",
        "APPLICATION_REJECTED",
        "BOOKING_CONFIRMED",
        "WAITLISTED",
        "WAITLIST_PLACE_OFFERED",
        "ACCESS_GRANTED",
        "EARLY_ACCESS_REQUESTED",
        "PREREQUISITE_REMINDER",
        "REGISTRATION_CANCELLED",
        "EVENT_CHANGED",
        "REGISTRANT_SIGN_IN",
        "NEWSLETTER_CONFIRM",
        "PAYMENT_RECEIVED",
      ]),
    );
    expect(rows.every((row) => row.status === "SENT" && row.attempts === 1)).toBe(true);
    expect(mail.smtp.received.map((email) => email.messageId).sort()).toEqual(rows.map((row) => row.messageId).sort());
    for (const email of mail.smtp.received) {
      expect(email.parsed.text?.length, email.parsed.subject).toBeGreaterThan(50);
      expect(String(email.parsed.html)).toMatch(/^<!doctype html>/i);
    }
  });
});
