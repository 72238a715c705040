import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payments } from "../../src/db/tables.js";
import { createCourse, CREATE_EVENT, courseInput, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { deliveries, drain, receivedEmail, startMailHarness, type MailHarness } from "../mail/mail-harness.js";
import { createKey, createPartner, rowCounts, setPartners } from "../security/fixtures.js";

const REVIEW = /* GraphQL */ `
  mutation ($input: ReviewRegistrationInput!) { reviewRegistration(input: $input) { registration { status paymentUrl } userErrors { code message } } }
`;
const PAY = /* GraphQL */ `
  mutation ($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      registration { id status paymentUrl payment { amountPaid { amountMinor } paidInFull payments { reference amount { amountMinor } } } }
      userErrors { field code message }
    }
  }
`;
const CANCEL = /* GraphQL */ `
  mutation ($id: ID!) { cancelRegistration(input: { registrationId: $id }) { userErrors { code } } }
`;
const READ = /* GraphQL */ `
  query ($id: ID!) { registration(id: $id) { reference status offerExpiresAt paymentUrl payment { amountPaid { amountMinor } payments { reference } } event { payment { urlTemplate instructions } } } }
`;

const template = "https://pay.booking-partner.example/checkout?ref={reference}&course=mbt";
const instructions = "Pay by card on our site; quote your reference on bank transfers.";

describe("payment at the booking partner", () => {
  let mail: MailHarness;
  let course: TestCourse;
  const keys: Record<"booking" | "host" | "sponsor" | "stranger" | "delivery", string> = {} as never;

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z" });
    const server = mail.server;
    course = await createCourse(server, { paymentUrlTemplate: template, paymentInstructions: instructions });
    const orgs = {
      booking: await createPartner(server, "booking-b"),
      host: await createPartner(server, "host-h"),
      sponsor: await createPartner(server, "sponsor-s"),
      stranger: await createPartner(server, "stranger-x"),
      delivery: await createPartner(server, "delivery-d"),
    };
    await setPartners(server, course.id, [
      { organisationId: orgs.host, roles: ["HOST"] },
      { organisationId: orgs.booking, roles: ["BOOKING_PARTNER"] },
      { organisationId: orgs.sponsor, roles: ["SPONSOR"] },
      { organisationId: orgs.delivery, roles: ["DELIVERY_PARTNER"] },
    ]);
    for (const [name, organisationId] of Object.entries(orgs)) keys[name as keyof typeof keys] = (await createKey(server, { kind: "SECRET", organisationId })).key;
  });
  afterAll(() => mail.close());

  async function approvedRegistration() {
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(course) });
    expect(data.register.userErrors).toEqual([]);
    const { id, reference } = data.register.registration;
    const approved = await mail.server.admin(REVIEW, { input: { registrationId: id, decision: "APPROVE" } });
    expect(approved.data.reviewRegistration.registration.status).toBe("AWAITING_PAYMENT");
    return { id: id as string, reference: reference as string };
  }

  const pay = (key: string, input: Record<string, unknown>) => mail.server.gql(PAY, { input: { currency: "USD", method: "card", ...input } }, { token: key });

  it("refuses payment URL templates without {reference} or outside http(s), and changes nothing", async () => {
    // given
    const before = await rowCounts(mail.server);
    for (const [paymentUrlTemplate, message] of [
      ["https://pay.example/checkout", /\{reference\}/],
      ["ftp://pay.example/{reference}", /http\(s\)/],
      ["javascript:alert({reference})", /http\(s\)/],
      ["not a url {reference}", /http\(s\)/],
    ] as const) {
      // when
      const { data } = await mail.server.admin(CREATE_EVENT, { input: courseInput({ paymentUrlTemplate }) });
      // then
      expect(data.createEvent.event).toBeNull();
      expect(data.createEvent.userErrors).toEqual([{ field: ["input", "paymentUrlTemplate"], code: "INVALID", message: expect.stringMatching(message) }]);
    }
    expect(await rowCounts(mail.server)).toEqual(before);
  });

  it("shows the registration's own payment link in the approval email and the API, until it is paid in full", async () => {
    // given an approved application
    const { id, reference } = await approvedRegistration();
    const expectedUrl = template.replace("{reference}", encodeURIComponent(reference));

    // then the API shows the link and the event's instructions
    const read = await mail.server.admin(READ, { id });
    expect(read.data.registration).toMatchObject({ paymentUrl: expectedUrl, event: { payment: { urlTemplate: template, instructions } } });

    // and the approval email carries them, in both parts
    await drain(mail.server.app.worker);
    const approval = await receivedEmail(mail, id, "APPLICATION_APPROVED");
    expect(approval.parsed.text).toContain(`Pay online: ${expectedUrl}`);
    expect(approval.parsed.text).toContain(instructions);
    expect(String(approval.parsed.html)).toContain(`href="${expectedUrl.replaceAll("&", "&amp;")}"`);

    // when the booking partner records part of it, then the host the rest
    const part = await pay(keys.booking, { registrationId: id, amountMinor: 50000, reference: "ch_1" });
    expect(part.errors).toBeUndefined();
    expect(part.data.recordPayment).toMatchObject({ registration: { status: "AWAITING_PAYMENT", paymentUrl: expectedUrl }, userErrors: [] });
    const rest = await pay(keys.host, { registrationId: id, amountMinor: 75000, reference: "ch_2" });

    // then it is confirmed and no link is shown any more
    expect(rest.data.recordPayment).toMatchObject({ registration: { status: "CONFIRMED", paymentUrl: null, payment: { paidInFull: true } }, userErrors: [] });
    expect((await mail.server.admin(READ, { id })).data.registration.paymentUrl).toBeNull();
  });

  it("shows the payment link in the waitlist offer email", async () => {
    // given a one-seat course without review, its seat held, and someone waiting
    const small = await createCourse(mail.server, { capacity: 1, requiresReview: false, paymentUrlTemplate: template, paymentInstructions: instructions });
    const first = await mail.server.gql(REGISTER, { input: registrationInput(small) });
    const waiting = await mail.server.gql(REGISTER, { input: registrationInput(small) });
    expect(waiting.data.register.registration.status).toBe("WAITLISTED");
    const { id, reference } = waiting.data.register.registration;
    // a waitlisted registration has nothing to pay yet
    expect((await mail.server.admin(READ, { id })).data.registration.paymentUrl).toBeNull();

    // when the seat is freed
    await mail.server.admin(`mutation ($id: ID!) { cancelRegistration(input: { registrationId: $id }) { userErrors { code } } }`, { id: first.data.register.registration.id });
    await drain(mail.server.app.worker);

    // then the offer carries the link with the waiting registrant's reference
    const offer = await receivedEmail(mail, id, "WAITLIST_PLACE_OFFERED");
    expect(offer.parsed.text).toContain(`Pay online: ${template.replace("{reference}", encodeURIComponent(reference))}`);
    expect(offer.parsed.text).toContain(instructions);
  });

  it("shows payment instructions without a payment page (a bank transfer) in the approval and offer emails while money is due", async () => {
    // given a course with instructions and no payment URL template, one seat, review, and someone waiting
    const bankTransfer = "Pay by bank transfer to IBAN DE89 3704 0044 0532 0130 00, quoting your reference.";
    const small = await createCourse(mail.server, { capacity: 1, requiresReview: true, paymentInstructions: bankTransfer });
    const first = await mail.server.gql(REGISTER, { input: registrationInput(small) });
    const waiting = await mail.server.gql(REGISTER, { input: registrationInput(small) });
    const firstId = first.data.register.registration.id;
    const waitingId = waiting.data.register.registration.id;

    // when the first is approved, then cancels, and the place is offered to the one waiting
    await mail.server.admin(REVIEW, { input: { registrationId: firstId, decision: "APPROVE" } });
    await drain(mail.server.app.worker);
    await mail.server.admin(CANCEL, { id: firstId });
    await mail.server.admin(REVIEW, { input: { registrationId: waitingId, decision: "APPROVE" } });
    await drain(mail.server.app.worker);

    // then both approval emails tell how to pay, without a payment link
    for (const id of [firstId, waitingId]) {
      const approval = await receivedEmail(mail, id, "APPLICATION_APPROVED");
      expect(approval.parsed.text).toContain(bankTransfer);
      expect(String(approval.parsed.html)).toContain(bankTransfer);
      expect(approval.parsed.text).not.toContain("Pay online");
    }

    // and on a course without review, the offer itself tells how to pay
    const open = await createCourse(mail.server, { capacity: 1, requiresReview: false, paymentInstructions: bankTransfer });
    const holder = await mail.server.gql(REGISTER, { input: registrationInput(open) });
    const next = await mail.server.gql(REGISTER, { input: registrationInput(open) });
    await mail.server.admin(CANCEL, { id: holder.data.register.registration.id });
    await drain(mail.server.app.worker);
    const offer = await receivedEmail(mail, next.data.register.registration.id, "WAITLIST_PLACE_OFFERED");
    expect(offer.parsed.text).toContain(bankTransfer);
    expect(offer.parsed.text).not.toContain("Pay online");
  });

  it("records the same (registration, reference) once, however often it is sent", async () => {
    // given
    const { id } = await approvedRegistration();
    const first = await pay(keys.booking, { registrationId: id, amountMinor: 25000, reference: "pi_3Nx" });

    // when the partner retries
    const again = await pay(keys.booking, { registrationId: id, amountMinor: 25000, reference: "pi_3Nx" });

    // then the same answer, one payment, one receipt
    expect(again.data.recordPayment).toEqual(first.data.recordPayment);
    expect(again.data.recordPayment.registration.payment.payments).toEqual([{ reference: "pi_3Nx", amount: { amountMinor: 25000 } }]);
    expect(await deliveries(mail.server, { registrationId: id, kind: "PAYMENT_RECEIVED" })).toHaveLength(1);

    // and the same reference with another amount is a conflict that changes nothing
    const conflict = await pay(keys.booking, { registrationId: id, amountMinor: 30000, reference: "pi_3Nx" });
    expect(conflict.data.recordPayment.userErrors).toEqual([{ field: ["input", "reference"], code: "IDEMPOTENCY_CONFLICT", message: expect.any(String) }]);
    expect((await mail.server.admin(READ, { id })).data.registration.payment.amountPaid.amountMinor).toBe(25000);
  });

  it("refuses a payment beyond the amount due as OVERPAYMENT, changing nothing", async () => {
    // given 1,000.00 of 1,250.00 paid
    const { id } = await approvedRegistration();
    await pay(keys.booking, { registrationId: id, amountMinor: 100000, reference: "a" });
    const before = await rowCounts(mail.server);

    // when 300.00 more is recorded
    const over = await pay(keys.booking, { registrationId: id, amountMinor: 30000, reference: "b" });

    // then
    expect(over.data.recordPayment).toEqual({ registration: null, userErrors: [{ field: ["input", "amountMinor"], code: "OVERPAYMENT", message: "Only $250.00 remains due; $300.00 would be more than that." }] });
    expect(await rowCounts(mail.server)).toEqual(before);
    expect((await mail.server.admin(READ, { id })).data.registration).toMatchObject({ status: "AWAITING_PAYMENT", payment: { amountPaid: { amountMinor: 100000 } } });
  });

  it("lets only admins and the event's host or booking partner record payments", async () => {
    // given
    const { id } = await approvedRegistration();
    const before = await rowCounts(mail.server);

    // when a sponsor, a delivery partner, an unrelated partner or the registrant's own token try
    const sponsor = await pay(keys.sponsor, { registrationId: id, amountMinor: 100 });
    const delivery = await pay(keys.delivery, { registrationId: id, amountMinor: 100 });
    const stranger = await pay(keys.stranger, { registrationId: id, amountMinor: 100 });
    const anonymous = await mail.server.gql(PAY, { input: { registrationId: id, amountMinor: 100, currency: "USD", method: "card" } });

    // then
    expect(sponsor.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(delivery.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(stranger.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await rowCounts(mail.server)).toEqual(before);

    // and the admin still may
    const admin = await mail.server.admin(PAY, { input: { registrationId: id, amountMinor: 100, currency: "USD", method: "cash" } });
    expect(admin.data.recordPayment.userErrors).toEqual([]);
  });

  it("mails a receipt for each payment, with the amount and what remains due", async () => {
    // given
    const { id } = await approvedRegistration();

    // when two payments are recorded
    await pay(keys.booking, { registrationId: id, amountMinor: 50000, reference: "r-1", method: "card" });
    await drain(mail.server.app.worker);
    await pay(keys.host, { registrationId: id, amountMinor: 75000, reference: "r-2", method: "bank transfer" });
    await drain(mail.server.app.worker);

    // then two receipts reached the SMTP server, each with its own figures
    const receipts = await deliveries(mail.server, { registrationId: id, kind: "PAYMENT_RECEIVED" });
    expect(receipts).toHaveLength(2);
    const texts = receipts.map((row) => {
      const matches = mail.smtp.received.filter((email) => email.messageId === row.messageId);
      expect(matches).toHaveLength(1);
      return matches[0]!.parsed.text ?? "";
    });
    expect(texts[0]).toContain("Amount received: $500.00");
    expect(texts[0]).toContain("Payment reference: r-1");
    expect(texts[0]).toContain("Remaining due: $750.00");
    // (the first was sent while money was still due: it links the payment page; the second does not)
    expect(texts[0]).toContain("Pay online: https://pay.booking-partner.example/checkout?ref=");
    expect(texts[1]).not.toContain("Pay online");
    expect(texts[1]).toContain("Amount received: $750.00");
    expect(texts[1]).toContain("Method: bank transfer");
    expect(texts[1]).toContain("Remaining due: nothing, your place is paid in full.");
    expect(mail.smtp.received.find((email) => email.messageId === receipts[0]!.messageId)!.parsed.subject).toMatch(/^Payment received: MBT Basic Training \(MBT-/);
  });

  it("refuses a payment for a waitlisted registration: nothing is due until a place is offered, and nothing changes", async () => {
    // given a full one-seat course and someone on its waitlist
    const small = await createCourse(mail.server, { capacity: 1, requiresReview: false, paymentUrlTemplate: template });
    await mail.server.gql(REGISTER, { input: registrationInput(small) });
    const waiting = await mail.server.gql(REGISTER, { input: registrationInput(small) });
    expect(waiting.data.register.registration.status).toBe("WAITLISTED");
    const before = await rowCounts(mail.server);

    // when an admin records the full price for it
    const paid = await mail.server.admin(PAY, { input: { registrationId: waiting.data.register.registration.id, amountMinor: 125000, currency: "USD", method: "card", reference: "early" } });

    // then it is refused with a clear reason, and nothing was written
    expect(paid.data.recordPayment).toEqual({
      registration: null,
      userErrors: [{ field: ["input", "registrationId"], code: "INVALID_STATE", message: "This registration is on the waitlist: nothing is due until a place is offered." }],
    });
    expect(await rowCounts(mail.server)).toEqual(before);
  });

  it("confirms a waitlisted registration already paid in full when it is promoted, and never lapses its offer", async () => {
    // given a full one-seat course, and a waiting registration whose price was recorded while it waited (as was possible before payments were refused there)
    const small = await createCourse(mail.server, { capacity: 1, requiresReview: false, offerWindowHours: 24, paymentUrlTemplate: template });
    const first = await mail.server.gql(REGISTER, { input: registrationInput(small) });
    const waiting = await mail.server.gql(REGISTER, { input: registrationInput(small) });
    const { id } = waiting.data.register.registration;
    const at = mail.server.clock.now();
    await mail.server.app.deps.db.transaction((tx) =>
      tx.insert(payments).values({ id: `pay_legacy_${id}`, registrationId: id, amountMinor: 125000, currency: "USD", method: "card", reference: "legacy", receivedAt: at, createdAt: at }).run(),
    );

    // when the seat is freed
    await mail.server.admin(CANCEL, { id: first.data.register.registration.id });

    // then the place is confirmed at once: no offer deadline, no payment link
    expect((await mail.server.admin(READ, { id })).data.registration).toMatchObject({ status: "CONFIRMED", offerExpiresAt: null, paymentUrl: null });

    // and after the offer window it is still confirmed
    mail.server.clock.advance(25 * 60 * 60 * 1000);
    await mail.server.app.worker.runOnce();
    expect((await mail.server.admin(READ, { id })).data.registration.status).toBe("CONFIRMED");
    await drain(mail.server.app.worker);
    expect(await deliveries(mail.server, { registrationId: id, kind: "BOOKING_CONFIRMED" })).toHaveLength(1);
  });
});
