import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mbtCredit, mbtLearningObjectives } from "../../src/demo/mbt-course.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startWebhookReceiver, verifyWebhook, type ReceivedWebhook, type WebhookReceiver } from "../helpers/webhook-receiver.js";
import { startMailHarness, type MailHarness } from "../mail/mail-harness.js";
import { createKey, createPartner, setPartners } from "../security/fixtures.js";

/*
 * Webhooks of attendance and certificates (attendance.recorded, certificate.issued,
 * certificate.revoked): queued in the transaction that stores the scan or the certificate,
 * delivered signed, and heard only by admins and the event's HOST and DELIVERY_PARTNER.
 */

const CREATE_ENDPOINT = /* GraphQL */ `
  mutation ($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) { endpoint { id eventTypes } signingSecret userErrors { field code message } }
  }
`;
const ENDPOINT_LOG = /* GraphQL */ `
  query { webhookEndpoints { id deliveries(first: 100) { totalCount edges { node { messageId eventType status payload } } } } }
`;
const PAY = /* GraphQL */ `
  mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { registration { status } userErrors { code message } } }
`;
const CHECK_IN_CODE = /* GraphQL */ `
  query ($id: ID) { registration(id: $id) { checkInCode } }
`;
const RECORD = /* GraphQL */ `
  mutation ($records: [AttendanceRecordInput!]!) { recordAttendance(records: $records) { nonce accepted duplicate userErrors { code } } }
`;
const EVALUATE = /* GraphQL */ `
  mutation ($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) { userErrors { code message } } }
`;
const CLAIM = /* GraphQL */ `
  mutation ($input: ClaimCertificateInput!) { claimCertificate(input: $input) { certificate { id number verifyUrl pdfUrl } userErrors { code message } } }
`;
const REVOKE = /* GraphQL */ `
  mutation ($id: ID!, $reason: String!) { revokeCertificate(id: $id, reason: $reason) { certificate { status } userErrors { code message } } }
`;

const attendanceTypes = ["ATTENDANCE_RECORDED", "CERTIFICATE_ISSUED", "CERTIFICATE_REVOKED"];
const publicUrl = "https://courses.example";
/** The demo course's days, 8:30 am – 4:30 pm PDT on 4–6 Oct 2023. */
const start = (n: number) => `2023-10-0${n + 3}T15:30:00.000Z`;
const end = (n: number) => `2023-10-0${n + 3}T23:30:00.000Z`;

type Who = "host" | "delivery" | "booking" | "sponsor" | "admin";

describe("webhooks of attendance and certificates", () => {
  let mail: MailHarness;
  let course: TestCourse;
  let sessionIds: string[];
  const keys: Record<Exclude<Who, "admin">, string> = {} as never;
  const hooks: Record<Who, WebhookReceiver> = {} as never;
  const endpoints: Record<Who, { id: string; secret: string }> = {} as never;
  const attendee = { id: "", reference: "", manageToken: "", code: "", lastName: "Attendee-Webhooks", email: "attendance.webhooks@clinic.example" };

  const server = () => mail.server;
  const types = (received: ReceivedWebhook[]) => received.map((request) => JSON.parse(request.body).type as string);
  /** Worker steps until the webhook outbox has nothing due. */
  async function deliverAll(): Promise<void> {
    for (let steps = 0; steps < 20; steps++) {
      if ((await server().app.worker.runOnce()).webhooks.claimed === 0) return;
    }
    throw new Error("the webhook outbox did not drain");
  }

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z", env: { WEBHOOKS_ALLOW_PRIVATE: "true", PUBLIC_URL: publicUrl } });
    course = await createCourse(server(), { requiresReview: false, credit: mbtCredit });
    const { data } = await server().admin(`query ($id: ID) { event(id: $id) { sessions { id } } }`, { id: course.id });
    sessionIds = data.event.sessions.map((session: { id: string }) => session.id);
    const orgs = {
      host: await createPartner(server(), "hook-host"),
      delivery: await createPartner(server(), "hook-delivery"),
      booking: await createPartner(server(), "hook-booking"),
      sponsor: await createPartner(server(), "hook-sponsor"),
    };
    await setPartners(server(), course.id, [
      { organisationId: orgs.host, roles: ["HOST"] },
      { organisationId: orgs.delivery, roles: ["DELIVERY_PARTNER"] },
      { organisationId: orgs.booking, roles: ["BOOKING_PARTNER"] },
      { organisationId: orgs.sponsor, roles: ["SPONSOR"] },
    ]);
    for (const who of ["host", "delivery", "booking", "sponsor", "admin"] as const) {
      if (who !== "admin") keys[who] = (await createKey(server(), { kind: "SECRET", organisationId: orgs[who] })).key;
      hooks[who] = await startWebhookReceiver();
      const created = await server().gql(CREATE_ENDPOINT, { input: { url: hooks[who].url, eventTypes: attendanceTypes } }, { token: who === "admin" ? server().adminKey : keys[who] });
      expect(created.data.createWebhookEndpoint.userErrors).toEqual([]);
      endpoints[who] = { id: created.data.createWebhookEndpoint.endpoint.id, secret: created.data.createWebhookEndpoint.signingSecret };
    }

    // a confirmed registration, made through the booking partner's key (so that partner may read it)
    const input = registrationInput(course, {}, { lastName: attendee.lastName, email: attendee.email });
    const registered = await server().gql(REGISTER, { input }, { token: keys.booking });
    expect(registered.data.register.userErrors).toEqual([]);
    Object.assign(attendee, { id: registered.data.register.registration.id, reference: registered.data.register.registration.reference, manageToken: registered.data.register.manageToken });
    const paid = await server().admin(PAY, { input: { registrationId: attendee.id, amountMinor: 125000, currency: "USD", method: "card" } });
    expect(paid.data.recordPayment.registration.status).toBe("CONFIRMED");
    attendee.code = (await server().admin(CHECK_IN_CODE, { id: attendee.id })).data.registration.checkInCode;
    await deliverAll();
  });

  afterAll(async () => {
    await Promise.all(Object.values(hooks).map((receiver) => receiver.close()));
    await mail?.close();
  });

  it("sends attendance.recorded once per stored scan, to admins, the host and the delivery partner only; a re-uploaded batch sends nothing more", async () => {
    // given the host's scanner uploads three days after the course, then uploads the same batch again
    server().clock.set("2023-10-07T02:00:00Z");
    const batch = [1, 2, 3].flatMap((n) => [
      { checkInCode: attendee.code, sessionId: sessionIds[n - 1], action: "CHECK_IN", occurredAt: start(n), nonce: `door-1:${n}:in` },
      { checkInCode: attendee.code, sessionId: sessionIds[n - 1], action: "CHECK_OUT", occurredAt: end(n), nonce: `door-1:${n}:out` },
    ]);

    // when
    const first = await server().gql(RECORD, { records: batch }, { token: keys.host });
    const again = await server().gql(RECORD, { records: batch }, { token: keys.host });
    await deliverAll();

    // then every record was stored once
    expect(first.data.recordAttendance.map((result: { accepted: boolean; duplicate: boolean }) => [result.accepted, result.duplicate])).toEqual(batch.map(() => [true, false]));
    expect(again.data.recordAttendance.every((result: { duplicate: boolean }) => result.duplicate)).toBe(true);
    // and each of the event's staff and the admin got one verified message per record, with the scan and the registration
    for (const who of ["host", "delivery", "admin"] as const) {
      expect(types(hooks[who].received), who).toEqual(batch.map(() => "attendance.recorded"));
      const messages = hooks[who].received.map((delivery) => verifyWebhook(endpoints[who].secret, delivery, server().clock.now()));
      expect(messages.map((message) => message.data.attendance.nonce).sort()).toEqual(batch.map((record) => record.nonce).sort());
      const dayOneIn = messages.find((message) => message.data.attendance.nonce === "door-1:1:in");
      expect(dayOneIn.data).toMatchObject({
        registration: { id: attendee.id, reference: attendee.reference, status: "CONFIRMED", attendee: { lastName: attendee.lastName } },
        event: { id: course.id },
        attendance: { action: "CHECK_IN", method: "CODE", occurredAt: start(1), recordedAt: "2023-10-07T02:00:00.000Z", session: { id: sessionIds[0], startsAt: start(1) } },
      });
    }
    // and neither the booking partner (it took the booking, it does not run the course) nor the sponsor heard of it
    expect(hooks.booking.received).toEqual([]);
    expect(hooks.sponsor.received).toEqual([]);
  });

  it("delivers certificate.issued, verified with standardwebhooks, to admins and the event's staff, once; a sponsor's endpoint does not get it", async () => {
    // given the evaluation is in
    const ratings = mbtLearningObjectives.map((_text, index) => ({ position: index + 1, rating: 5 }));
    const evaluated = await server().gql(EVALUATE, { input: { registrationId: attendee.id, objectiveRatings: ratings } }, { token: attendee.manageToken });
    expect(evaluated.data.submitEvaluation.userErrors).toEqual([]);
    const before = Object.fromEntries(Object.entries(hooks).map(([who, receiver]) => [who, receiver.received.length]));

    // when the attendee claims the certificate, twice
    const claimed = await server().gql(CLAIM, { input: { registrationId: attendee.id, attestation: true } }, { token: attendee.manageToken });
    const claimedAgain = await server().gql(CLAIM, { input: { registrationId: attendee.id, attestation: true } }, { token: attendee.manageToken });
    await deliverAll();

    // then one message each, which a Standard Webhooks receiver accepts, telling of the certificate as printed
    const certificate = claimed.data.claimCertificate.certificate;
    expect(claimed.data.claimCertificate.userErrors).toEqual([]);
    expect(claimedAgain.data.claimCertificate.certificate.id).toBe(certificate.id);
    for (const who of ["host", "delivery", "admin"] as const) {
      const fresh = hooks[who].received.slice(before[who]);
      expect(types(fresh), who).toEqual(["certificate.issued"]);
      const message = verifyWebhook(endpoints[who].secret, fresh[0]!, server().clock.now());
      expect(message).toMatchObject({
        type: "certificate.issued",
        timestamp: "2023-10-07T02:00:00.000Z",
        data: {
          registration: { id: attendee.id, reference: attendee.reference },
          event: { id: course.id },
          certificate: { id: certificate.id, number: certificate.number, status: "VALID", creditName: mbtCredit.name, creditsAwarded: 18, attendeeName: `Ada ${attendee.lastName}`, verifyUrl: certificate.verifyUrl, pdfUrl: certificate.pdfUrl, revokedAt: null },
        },
      });
      // (signed with this endpoint's own secret: another endpoint's does not verify it)
      const other = who === "admin" ? "host" : "admin";
      expect(() => verifyWebhook(endpoints[other].secret, fresh[0]!, server().clock.now())).toThrow(/signature/);
    }
    // and the admin's delivery log names its type
    const log = (await server().admin(ENDPOINT_LOG)).data.webhookEndpoints.find((endpoint: { id: string }) => endpoint.id === endpoints.admin.id);
    expect(log.deliveries.edges.filter((edge: { node: { eventType: string } }) => edge.node.eventType === "CERTIFICATE_ISSUED").map((edge: { node: { status: string } }) => edge.node.status)).toEqual(["SUCCEEDED"]);
    // and the sponsor's endpoint, subscribed to it, got nothing, nor did the booking partner's
    expect(hooks.sponsor.received).toEqual([]);
    expect(hooks.booking.received).toEqual([]);
  });

  it("sends certificate.revoked with the reason when an admin revokes it, to the same audience", async () => {
    // given
    const claimed = await server().gql(CLAIM, { input: { registrationId: attendee.id, attestation: true } }, { token: attendee.manageToken });
    const certificateId = claimed.data.claimCertificate.certificate.id;
    const before = Object.fromEntries(Object.entries(hooks).map(([who, receiver]) => [who, receiver.received.length]));

    // when
    server().clock.advance(60_000);
    const revoked = await server().admin(REVOKE, { id: certificateId, reason: "Attendance sheet was signed by someone else." });
    await deliverAll();

    // then
    expect(revoked.data.revokeCertificate.userErrors).toEqual([]);
    for (const who of ["host", "delivery", "admin"] as const) {
      const fresh = hooks[who].received.slice(before[who]);
      expect(types(fresh), who).toEqual(["certificate.revoked"]);
      expect(verifyWebhook(endpoints[who].secret, fresh[0]!, server().clock.now()).data.certificate).toMatchObject({
        id: certificateId,
        status: "REVOKED",
        revokedAt: "2023-10-07T02:01:00.000Z",
        revokeReason: "Attendance sheet was signed by someone else.",
      });
    }
    expect(hooks.sponsor.received).toEqual([]);
    expect(hooks.booking.received).toEqual([]);
  });
});
