import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uclaFacultyCenter } from "../../src/demo/mbt-course.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import type { ReceivedEmail } from "../helpers/smtp.js";
import { drain, receivedEmail, startMailHarness, type EmailKindName, type MailHarness } from "./mail-harness.js";

const PAY = /* GraphQL */ `
  mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { registration { status } userErrors { code message } } }
`;
const TIMELINE = /* GraphQL */ `
  query ($id: ID!) { registration(id: $id) { timeline { action note } } }
`;
const EARLY_ACCESS = /* GraphQL */ `
  mutation ($input: RequestEarlyAccessInput!) { requestEarlyAccess(input: $input) { registration { id } userErrors { code message } } }
`;

/*
 * How the emails word what they say: money as money, each fact once, only the ways of
 * reaching the contact that exist, and a course's dates as short as they are clear.
 * Checked on the messages the SMTP server received, both parts.
 */

const oneDay = [{ title: "Skills day", kind: "LIVE", localStart: "2023-10-01T09:00", localEnd: "2023-10-01T17:00" }];
const noReview = { requiresReview: false, eligibilityCriteria: [], prerequisite: null };

describe("email wording", () => {
  let mail: MailHarness;

  async function register(course: TestCourse): Promise<{ id: string; manageToken: string }> {
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(course) });
    expect(data.register.userErrors).toEqual([]);
    return { id: data.register.registration.id, manageToken: data.register.manageToken };
  }

  async function emailOf(course: TestCourse, kind: EmailKindName): Promise<ReceivedEmail & { registrationId: string }> {
    const registration = await register(course);
    await drain(mail.server.app.worker);
    return { ...(await receivedEmail(mail, registration.id, kind)), registrationId: registration.id };
  }

  function footerOf(email: ReceivedEmail): { text: string; html: string } {
    const text = email.parsed.text!.split("\n--\n")[1]!.trim();
    const html = /<p style="margin-top:32px;[^"]*">([^<]*)<\/p>/.exec(String(email.parsed.html))![1]!;
    return { text, html };
  }

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z" });
  });
  afterAll(() => mail.close());

  it("payments: the timeline note and the emails show currency amounts, not minor units", async () => {
    // given a $1,250.00 course and a ¥5,000 one (no minor unit)
    const dollars = await createCourse(mail.server, { requiresReview: false, eligibilityCriteria: [], priceMinor: 125000, currency: "USD" });
    const yen = await createCourse(mail.server, { ...noReview, priceMinor: 5000, currency: "JPY" });
    const ada = await register(dollars);
    const ken = await register(yen);
    // when part is paid, then the rest
    await mail.server.admin(PAY, { input: { registrationId: ada.id, amountMinor: 25000, currency: "USD", method: "card", reference: "INV-1" } });
    const asked = await mail.server.gql(EARLY_ACCESS, { input: { registrationId: ada.id, reason: "Travel" } }, { token: ada.manageToken });
    expect(asked.data.requestEarlyAccess.userErrors).toEqual([]);
    await drain(mail.server.app.worker);
    await mail.server.admin(PAY, { input: { registrationId: ada.id, amountMinor: 100000, currency: "USD", method: "bank transfer" } });
    await mail.server.admin(PAY, { input: { registrationId: ken.id, amountMinor: 5000, currency: "JPY", method: "card" } });
    await drain(mail.server.app.worker);
    // then the timeline
    const timeline = await mail.server.admin(TIMELINE, { id: ada.id });
    const notes = timeline.data.registration.timeline.filter((change: { action: string }) => change.action === "PAYMENT_RECORDED").map((change: { note: string }) => change.note);
    expect(notes).toEqual(["$250.00 by card (INV-1); paid $250.00 of $1,250.00", "$1,000.00 by bank transfer; paid $1,250.00 of $1,250.00"]);
    const yenTimeline = await mail.server.admin(TIMELINE, { id: ken.id });
    expect(yenTimeline.data.registration.timeline.find((change: { action: string }) => change.action === "PAYMENT_RECORDED").note).toBe("¥5,000 by card; paid ¥5,000 of ¥5,000");
    // and the emails
    expect((await receivedEmail(mail, ada.id, "REGISTRATION_RECEIVED")).parsed.text).toContain("Amount due: $1,000.00 ($250.00 of $1,250.00 paid)");
    expect((await receivedEmail(mail, ada.id, "EARLY_ACCESS_REQUESTED")).parsed.text).toContain("Payment: $250.00 of $1,250.00 paid");
    expect((await receivedEmail(mail, ada.id, "BOOKING_CONFIRMED")).parsed.text).toContain("Paid: $1,250.00 (paid in full)");
    expect((await receivedEmail(mail, ken.id, "BOOKING_CONFIRMED")).parsed.text).toContain("Paid: ¥5,000 (paid in full)");
    for (const email of mail.smtp.received) expect(email.parsed.text).not.toMatch(/\b(125000|25000|100000)\b/);
  });

  it("accessibility: a fact the venue's notes already state is printed once", async () => {
    // given the demo venue: ADA compliant, and notes that say so
    const course = await createCourse(mail.server, { ...noReview, priceMinor: 0 });
    // when
    const email = await emailOf(course, "BOOKING_CONFIRMED");
    // then
    for (const part of [email.parsed.text!, String(email.parsed.html)]) {
      expect(part.match(/ADA compliant/g)).toHaveLength(1);
      expect(part).toContain("The UCLA Faculty Center is ADA compliant.");
    }
  });

  it("accessibility: a fact the notes deny, or do not mention, is still printed", async () => {
    // given a venue whose notes mention wheelchairs only to qualify them
    const venue = { ...uclaFacultyCenter, accessibility: { adaCompliant: true, wheelchairAccessible: true, notes: "The upper floor is not wheelchair accessible." } };
    const created = await mail.server.admin(/* GraphQL */ `mutation ($input: VenueInput!) { createVenue(input: $input) { venue { id } userErrors { message } } }`, { input: venue });
    const course = await createCourse(mail.server, { ...noReview, priceMinor: 0, venueId: created.data.createVenue.venue.id });
    // when
    const text = (await emailOf(course, "BOOKING_CONFIRMED")).parsed.text!;
    // then
    expect(text).toContain("Accessibility:\n- ADA compliant\n- Wheelchair accessible\n- The upper floor is not wheelchair accessible.\n");
  });

  it("footer: offers only the contact means that exist", async () => {
    // given three courses: phone only, email only, name only
    const phoneOnly = await createCourse(mail.server, { ...noReview, priceMinor: 0, contactName: "Robin Kissell", contactEmail: null, contactPhone: "310-859-7912" });
    const emailOnly = await createCourse(mail.server, { ...noReview, priceMinor: 0, contactName: null, contactEmail: "robin@mentalizing.example", contactPhone: null });
    const nameOnly = await createCourse(mail.server, { ...noReview, priceMinor: 0, contactName: "Robin Kissell", contactEmail: null, contactPhone: null });
    // when each mails a booking
    const byPhone = await emailOf(phoneOnly, "BOOKING_CONFIRMED");
    const byEmail = await emailOf(emailOnly, "BOOKING_CONFIRMED");
    const byName = await emailOf(nameOnly, "BOOKING_CONFIRMED");
    // then
    expect(footerOf(byPhone)).toEqual({ text: "This is an automatic message; for questions call the contact above.", html: "This is an automatic message; for questions call the contact above." });
    expect(footerOf(byEmail)).toEqual({ text: "This is an automatic message; for questions write to the contact above.", html: "This is an automatic message; for questions write to the contact above." });
    expect(footerOf(byName)).toEqual({ text: "This is an automatic message.", html: "This is an automatic message." });
    expect(byPhone.parsed.text).toContain("Contact:\nRobin Kissell\nPhone: 310-859-7912\n");
    expect(byPhone.parsed.text).not.toMatch(/^Email:/m);
    expect(byEmail.parsed.text).toContain("Contact:\nEmail: robin@mentalizing.example\n");
    expect(byEmail.parsed.text).not.toMatch(/^Phone:/m);
    expect(byName.parsed.text).not.toMatch(/^(Email|Phone):/m);
    expect(String(byName.parsed.html)).not.toMatch(/(Email|Phone): /);
  });

  it("footer: the email to the course contact does not point them at themselves", async () => {
    // given a registrant asking for early access
    const course = await createCourse(mail.server, { requiresReview: false, eligibilityCriteria: [], priceMinor: 125000 });
    const ada = await register(course);
    const asked = await mail.server.gql(EARLY_ACCESS, { input: { registrationId: ada.id, reason: "Travel" } }, { token: ada.manageToken });
    expect(asked.data.requestEarlyAccess.userErrors).toEqual([]);
    await drain(mail.server.app.worker);
    // then
    expect(footerOf(await receivedEmail(mail, ada.id, "EARLY_ACCESS_REQUESTED"))).toEqual({ text: "This is an automatic message.", html: "This is an automatic message." });
  });

  it("dates: a one-day course shows one date; a three-day course its span", async () => {
    // given
    const single = await createCourse(mail.server, { ...noReview, priceMinor: 0, title: "MBT Skills Day", sessions: oneDay });
    const three = await createCourse(mail.server, { ...noReview, priceMinor: 0 });
    // when
    const singleEmail = await emailOf(single, "BOOKING_CONFIRMED");
    const threeEmail = await emailOf(three, "BOOKING_CONFIRMED");
    // then
    expect(singleEmail.parsed.text).toContain("== MBT Skills Day ==\n1 Oct 2023\n");
    expect(String(singleEmail.parsed.html)).toContain("<p style=\"margin:0 0 8px;\">1 Oct 2023</p>");
    for (const part of [singleEmail.parsed.text!, String(singleEmail.parsed.html)]) expect(part).not.toMatch(/1 Oct( 2023)? – 1 Oct|1–1 Oct/);
    expect(threeEmail.parsed.text).toContain("== MBT Basic Training ==\n4–6 Oct 2023\n");
  });
});
