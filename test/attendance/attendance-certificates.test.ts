import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attendanceRecords } from "../../src/db/tables.js";
import { mbtCredit, mbtLearningObjectives } from "../../src/demo/mbt-course.js";
import { countRows } from "../helpers/db.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { drain, receivedEmail, startMailHarness, type MailHarness } from "../mail/mail-harness.js";
import { createKey, createPartner, setPartners } from "../security/fixtures.js";

/*
 * The demo course's three 8-hour days (4–6 Oct 2023, 8:30 am – 4:30 pm PDT), attendance
 * recorded over HTTP by the host's scanning app after the fact, credit and certificates.
 */

const RECORD = /* GraphQL */ `
  mutation ($records: [AttendanceRecordInput!]!) {
    recordAttendance(records: $records) { nonce accepted duplicate registration { id } userErrors { field code message } }
  }
`;
const ATTENDANCE = /* GraphQL */ `
  query ($id: ID) {
    registration(id: $id) {
      id checkInCode creditsEarned
      attendance { session { id title } status minutesPresent firstCheckInAt lastCheckOutAt }
      evaluation { submittedAt comments objectiveRatings { objective { position } rating } }
      certificate { id number status creditsAwarded verifyUrl pdfUrl }
    }
  }
`;
const EVALUATE = /* GraphQL */ `
  mutation ($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) { registration { evaluation { submittedAt } } userErrors { field code message } } }
`;
const CLAIM = /* GraphQL */ `
  mutation ($input: ClaimCertificateInput!) {
    claimCertificate(input: $input) { certificate { id number status creditsAwarded issuedAt verifyUrl pdfUrl registration { id } } userErrors { field code message } }
  }
`;
const REVOKE = /* GraphQL */ `
  mutation ($id: ID!, $reason: String!) { revokeCertificate(id: $id, reason: $reason) { certificate { status revokedAt revokeReason } userErrors { code message } } }
`;
const VERIFY = /* GraphQL */ `
  query ($number: String!) { verifyCertificate(number: $number) { number status attendeeName eventTitle startDate endDate creditName creditsAwarded issuedAt } }
`;
const OVERRIDE = /* GraphQL */ `
  mutation ($input: AttendanceOverrideInput!) {
    overrideAttendance(input: $input) { registration { creditsEarned attendance { status minutesPresent } timeline { action note } } userErrors { field code message } }
  }
`;
const SESSION_ATTENDANCE = /* GraphQL */ `
  query ($sessionId: ID!) { sessionAttendance(sessionId: $sessionId) { totalCount edges { node { id attendance { session { id } status minutesPresent } } } } }
`;
const PAY = /* GraphQL */ `
  mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { registration { status } userErrors { code message } } }
`;

const publicUrl = "https://courses.example";
/** Each day 8:30 am – 4:30 pm PDT. */
const day = (n: 1 | 2 | 3, time: string) => `2023-10-0${n + 3}T${time}:00.000Z`;
const start = (n: 1 | 2 | 3) => day(n, "15:30");
const end = (n: 1 | 2 | 3) => day(n, "23:30");

interface Attendee {
  id: string;
  email: string;
  lastName: string;
  manageToken: string;
  code: string;
}

describe("attendance, credit and certificates of the demo course", () => {
  let mail: MailHarness;
  let course: TestCourse;
  let other: TestCourse;
  let sessionIds: string[];
  let otherSessionId: string;
  let hostKey: string;
  let sponsorKey: string;
  const people: Record<"ada" | "bert" | "cleo" | "dora" | "unpaid" | "elsewhere", Attendee> = {} as never;
  let nonce = 0;
  let firstUploadNonce = "";
  const record = (who: Attendee, n: 1 | 2 | 3, action: "CHECK_IN" | "CHECK_OUT", occurredAt: string) => ({ checkInCode: who.code, sessionId: sessionIds[n - 1], action, occurredAt, nonce: `scanner-1:${++nonce}` });
  const asHost = (query: string, variables: Record<string, unknown>) => mail.server.gql(query, variables, { token: hostKey });
  const attendanceOf = async (who: Attendee) => (await mail.server.admin(ATTENDANCE, { id: who.id })).data.registration;
  const allRatings = () => mbtLearningObjectives.map((_text, index) => ({ position: index + 1, rating: 4 + (index % 2) }));
  const countRecords = () => countRows(mail.server, "attendance_records");

  async function register(target: TestCourse, attendee: Record<string, unknown> = {}, pay = true): Promise<Attendee> {
    const input = registrationInput(target, {}, attendee);
    const { data } = await mail.server.gql(REGISTER, { input });
    expect(data.register.userErrors).toEqual([]);
    const registration = data.register.registration;
    if (pay) {
      const paid = await mail.server.admin(PAY, { input: { registrationId: registration.id, amountMinor: 125000, currency: "USD", method: "card" } });
      expect(paid.data.recordPayment.registration.status).toBe("CONFIRMED");
    }
    const read = await mail.server.gql(ATTENDANCE, { id: registration.id }, { token: data.register.manageToken });
    return { id: registration.id, email: input.attendee.email as string, lastName: input.attendee.lastName as string, manageToken: data.register.manageToken, code: read.data.registration.checkInCode };
  }

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z", env: { PUBLIC_URL: publicUrl } });
    course = await createCourse(mail.server, { requiresReview: false, credit: mbtCredit });
    other = await createCourse(mail.server, { requiresReview: false, credit: mbtCredit });
    const host = await createPartner(mail.server, "anna-freud-centre");
    const sponsor = await createPartner(mail.server, "lifespan-learning-institute");
    await setPartners(mail.server, course.id, [
      { organisationId: host, roles: ["HOST"] },
      { organisationId: sponsor, roles: ["SPONSOR"] },
    ]);
    hostKey = (await createKey(mail.server, { kind: "SECRET", organisationId: host })).key;
    sponsorKey = (await createKey(mail.server, { kind: "SECRET", organisationId: sponsor })).key;
    const { data } = await mail.server.admin(`query ($id: ID, $other: ID) { event(id: $id) { sessions { id } } other: event(id: $other) { sessions { id } } }`, { id: course.id, other: other.id });
    sessionIds = data.event.sessions.map((session: { id: string }) => session.id);
    otherSessionId = data.other.sessions[0].id;
    people.ada = await register(course);
    people.bert = await register(course);
    people.cleo = await register(course);
    people.dora = await register(course, { firstName: "=HYPERLINK(\"https://evil.example\")", lastName: "+Tabular" });
    people.unpaid = await register(course, {}, false);
    people.elsewhere = await register(other);
  });
  afterAll(() => mail?.close());

  it("gives every confirmed registration a random check-in code, shown as a QR code in the booking confirmation, to the registrant and admins only", async () => {
    // when
    await drain(mail.server.app.worker);
    const email = await receivedEmail(mail, people.ada.id, "BOOKING_CONFIRMED");
    const asAdmin = await attendanceOf(people.ada);
    const asHostRead = await asHost(ATTENDANCE, { id: people.ada.id });
    const unpaid = await attendanceOf(people.unpaid);

    // then
    expect(people.ada.code).toMatch(/^[2-9A-HJKMNP-TV-Z]{12}$/);
    expect(new Set(Object.values(people).map((who) => who.code)).size).toBe(6);
    expect(people.ada.code).not.toContain(people.ada.lastName.toUpperCase());
    expect(asAdmin.checkInCode).toBe(people.ada.code);
    expect(asHostRead.data.registration.checkInCode).toBeNull();
    expect(unpaid.checkInCode).toBeNull();
    const qr = email.parsed.attachments.find((attachment) => attachment.contentType === "image/png");
    expect(qr?.cid).toBe("check-in-qr@event-registration");
    expect(qr!.content.subarray(1, 4).toString()).toBe("PNG");
    // (mailparser turns cid: references into data: URLs; the message as sent has the cid.)
    expect(email.raw.toString("latin1")).toContain(`src=3D"cid:check-in-qr@event-registration"`);
    expect(email.parsed.html).toContain(`alt="QR code of your check-in code ${people.ada.code}"`);
    expect(email.parsed.text).toContain(`Your check-in code: ${people.ada.code}`);
  });

  it("opens the evaluation only once the first live session has started", async () => {
    // given
    mail.server.clock.set("2023-10-04T15:29:00Z");

    // when
    const early = await mail.server.gql(EVALUATE, { input: { registrationId: people.ada.id, objectiveRatings: allRatings() } }, { token: people.ada.manageToken });

    // then
    expect(early.data.submitEvaluation.userErrors).toEqual([expect.objectContaining({ code: "INVALID_STATE", message: "The evaluation opens when the first live session starts." })]);
    expect((await attendanceOf(people.ada)).evaluation).toBeNull();
  });

  it("refuses a sponsor's key, a host's key for another event's session, and a partner's made-up session id: FORBIDDEN, nothing stored", async () => {
    // given
    mail.server.clock.set("2023-10-04T15:40:00Z");
    const madeUp = "ses_01JD0000000000000000000000";

    // when
    const sponsor = await mail.server.gql(RECORD, { records: [record(people.ada, 1, "CHECK_IN", start(1))] }, { token: sponsorKey });
    const hostElsewhere = await asHost(RECORD, { records: [record(people.ada, 1, "CHECK_IN", start(1)), { ...record(people.elsewhere, 1, "CHECK_IN", start(1)), sessionId: otherSessionId }] });
    // Per-record answers here would tell the sponsor which codes, registration ids and nonces exist.
    const sponsorMadeUp = await mail.server.gql(RECORD, { records: [{ ...record(people.ada, 1, "CHECK_IN", start(1)), sessionId: madeUp }, { registrationId: people.bert.id, sessionId: madeUp, action: "CHECK_IN", nonce: "probe" }] }, { token: sponsorKey });
    const hostMadeUp = await asHost(RECORD, { records: [record(people.ada, 1, "CHECK_IN", start(1)), { ...record(people.ada, 1, "CHECK_IN", start(1)), sessionId: madeUp }] });
    const adminMadeUp = await mail.server.admin(RECORD, { records: [{ ...record(people.ada, 1, "CHECK_IN", start(1)), sessionId: madeUp }] });

    // then
    expect(sponsor.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(hostElsewhere.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(sponsorMadeUp.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(sponsorMadeUp.data).toBeNull();
    expect(hostMadeUp.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    // An admin may name any session: an unknown one is that record's own NOT_FOUND, looked up before the registration.
    expect(adminMadeUp.data.recordAttendance[0]).toMatchObject({ accepted: false, registration: null, userErrors: [{ code: "NOT_FOUND", field: ["records", "0", "sessionId"] }] });
    expect(await countRecords()).toBe(0);
  });

  it("takes each record's own userErrors without failing the batch", async () => {
    // given
    mail.server.clock.set("2023-10-07T02:00:00Z");
    const good = record(people.cleo, 1, "CHECK_IN", day(1, "15:20"));

    // when
    const { data, errors } = await asHost(RECORD, {
      records: [
        { checkInCode: "ZZZZZZZZZZZZ", sessionId: sessionIds[0], action: "CHECK_IN", nonce: "bad-1", occurredAt: start(1) },
        { registrationId: people.unpaid.id, sessionId: sessionIds[0], action: "CHECK_IN", nonce: "bad-2", occurredAt: start(1) },
        { checkInCode: people.elsewhere.code, sessionId: sessionIds[0], action: "CHECK_IN", nonce: "bad-3", occurredAt: start(1) },
        { checkInCode: people.cleo.code, sessionId: sessionIds[0], action: "CHECK_IN", nonce: "bad-4", occurredAt: "2023-10-05T15:30:00Z" },
        good,
      ],
    });

    // then
    expect(errors).toBeUndefined();
    expect(data.recordAttendance.map((result: { accepted: boolean; userErrors: { code: string; field: string[] }[] }) => [result.accepted, result.userErrors.map((error) => `${error.code} ${error.field.join(".")}`)])).toEqual([
      [false, ["NOT_FOUND records.0.checkInCode"]],
      [false, ["INVALID_STATE records.1.registrationId"]],
      [false, ["INVALID records.2.sessionId"]],
      [false, ["INVALID records.3.occurredAt"]],
      [true, []],
    ]);
    expect(await countRecords()).toBe(1);
  });

  it("stores a batch uploaded twice once: the second upload is reported duplicate and changes nothing", async () => {
    // given: the scanner worked offline all three days and uploads afterwards
    const batch = [
      record(people.ada, 1, "CHECK_IN", day(1, "15:25")),
      record(people.ada, 2, "CHECK_IN", day(2, "15:28")),
      record(people.ada, 2, "CHECK_OUT", day(2, "23:31")),
      record(people.ada, 3, "CHECK_IN", day(3, "15:30")),
      record(people.bert, 1, "CHECK_IN", start(1)),
      record(people.bert, 2, "CHECK_IN", day(2, "16:00")),
      record(people.bert, 3, "CHECK_IN", start(3)),
      record(people.cleo, 2, "CHECK_IN", start(2)),
      record(people.dora, 1, "CHECK_IN", start(1)),
    ];
    firstUploadNonce = batch[0]!.nonce;
    const first = await asHost(RECORD, { records: batch });
    const before = { count: await countRecords(), ada: await attendanceOf(people.ada) };

    // when
    const second = await asHost(RECORD, { records: batch });

    // then
    expect(first.data.recordAttendance.every((result: { accepted: boolean; duplicate: boolean }) => result.accepted && !result.duplicate)).toBe(true);
    expect(second.data.recordAttendance.map((result: { accepted: boolean; duplicate: boolean; nonce: string }) => [result.nonce, result.accepted, result.duplicate])).toEqual(batch.map((item) => [item.nonce, true, true]));
    expect(await countRecords()).toBe(before.count);
    expect(await attendanceOf(people.ada)).toEqual(before.ada);
  });

  it("calls the same nonce with another scan a conflict", async () => {
    // when
    const { data } = await asHost(RECORD, { records: [{ ...record(people.ada, 1, "CHECK_OUT", end(1)), nonce: firstUploadNonce }] });

    // then
    expect(data.recordAttendance[0]).toMatchObject({ accepted: false, duplicate: false, userErrors: [{ code: "IDEMPOTENCY_CONFLICT", field: ["records", "0", "nonce"] }] });
  });

  it("counts an attendee present all three days PRESENT for 480 minutes each: 18 CE hours (early arrival counts from the start, a missing check-out closes at the end)", async () => {
    // when
    const ada = await attendanceOf(people.ada);

    // then
    expect(ada.attendance.map((item: { status: string; minutesPresent: number }) => `${item.status} ${item.minutesPresent}`)).toEqual(["PRESENT 480", "PRESENT 480", "PRESENT 480"]);
    expect(ada.attendance[1]).toMatchObject({ firstCheckInAt: day(2, "15:28"), lastCheckOutAt: day(2, "23:31") });
    expect(ada.creditsEarned).toBe(18);
  });

  it("counts 30 minutes late on day 2 as PARTIAL: 17.5 CE hours, and no certificate, naming day 2", async () => {
    // given
    await mail.server.gql(EVALUATE, { input: { registrationId: people.bert.id, objectiveRatings: allRatings() } }, { token: people.bert.manageToken });

    // when
    const bert = await attendanceOf(people.bert);
    const claim = await mail.server.gql(CLAIM, { input: { registrationId: people.bert.id, attestation: true } }, { token: people.bert.manageToken });

    // then
    expect(bert.attendance.map((item: { status: string; minutesPresent: number }) => `${item.status} ${item.minutesPresent}`)).toEqual(["PRESENT 480", "PARTIAL 450", "PRESENT 480"]);
    expect(bert.creditsEarned).toBe(17.5);
    expect(claim.data.claimCertificate.certificate).toBeNull();
    expect(claim.data.claimCertificate.userErrors).toEqual([
      { code: "NOT_YET_EARNED", field: ["input", "registrationId"], message: "Day 2: PARTIAL (450 of 480 minutes)." },
    ]);
  });

  it("counts a missed day 3 as ABSENT", async () => {
    // when
    const cleo = await attendanceOf(people.cleo);

    // then
    expect(cleo.attendance.map((item: { status: string; minutesPresent: number }) => `${item.status} ${item.minutesPresent}`)).toEqual(["PRESENT 480", "PRESENT 480", "ABSENT 0"]);
    expect(cleo.creditsEarned).toBe(12);
  });

  it("issues the certificate once the evaluation is in: NOT_YET_EARNED before, then a PDF by email through the real SMTP server; claiming again returns the same one", async () => {
    // given
    const asAda = (query: string, variables: Record<string, unknown>) => mail.server.gql(query, variables, { token: people.ada.manageToken });
    const beforeEvaluation = await asAda(CLAIM, { input: { registrationId: people.ada.id, attestation: true } });
    const withoutAttestation = await asAda(CLAIM, { input: { registrationId: people.ada.id, attestation: false } });
    const badRatings = [{ position: 1, rating: 6 }, { position: 1, rating: 3 }, { position: 21, rating: 3 }, ...allRatings().slice(3)];
    const invalid = await asAda(EVALUATE, { input: { registrationId: people.ada.id, objectiveRatings: badRatings } });
    const evaluated = await asAda(EVALUATE, { input: { registrationId: people.ada.id, objectiveRatings: allRatings(), comments: "Very practical." } });
    const again = await asAda(EVALUATE, { input: { registrationId: people.ada.id, objectiveRatings: allRatings() } });

    // when
    const claimed = await asAda(CLAIM, { input: { registrationId: people.ada.id, attestation: true } });
    const claimedAgain = await asAda(CLAIM, { input: { registrationId: people.ada.id, attestation: true } });
    await drain(mail.server.app.worker);

    // then
    expect(beforeEvaluation.data.claimCertificate.userErrors).toEqual([{ code: "NOT_YET_EARNED", field: ["input", "registrationId"], message: "The evaluation has not been submitted." }]);
    expect(withoutAttestation.data.claimCertificate.userErrors.map((error: { code: string; field: string[] }) => `${error.code} ${error.field.join(".")}`)).toEqual([
      "NOT_YET_EARNED input.registrationId",
      "NOT_YET_EARNED input.attestation",
    ]);
    expect(invalid.data.submitEvaluation.userErrors.map((error: { code: string; field: string[] }) => `${error.code} ${error.field.join(".")}`)).toEqual([
      "INVALID input.objectiveRatings.0.rating",
      "INVALID input.objectiveRatings.2.position",
      "REQUIRED input.objectiveRatings",
    ]);
    expect(evaluated.data.submitEvaluation.userErrors).toEqual([]);
    expect(again.data.submitEvaluation.userErrors[0]).toMatchObject({ code: "INVALID_STATE" });
    const certificate = claimed.data.claimCertificate.certificate;
    expect(claimed.data.claimCertificate.userErrors).toEqual([]);
    expect(certificate).toMatchObject({ status: "VALID", creditsAwarded: 18, registration: { id: people.ada.id } });
    expect(certificate.number).toMatch(/^CE-2023-[2-9A-HJKMNP-TV-Z]{5}-[2-9A-HJKMNP-TV-Z]{5}-[2-9A-HJKMNP-TV-Z]{5}$/);
    expect(certificate.verifyUrl).toBe(`${publicUrl}/verify/${certificate.number}`);
    expect(certificate.pdfUrl).toBe(`${publicUrl}/certificates/${certificate.id}.pdf`);
    expect(claimedAgain.data.claimCertificate.certificate).toEqual(certificate);
    const ada = await attendanceOf(people.ada);
    expect(ada.evaluation.objectiveRatings).toHaveLength(20);
    expect(ada.evaluation.comments).toBe("Very practical.");

    const email = await receivedEmail(mail, people.ada.id, "CERTIFICATE_ISSUED");
    expect(email.parsed.subject).toContain("Your certificate: MBT Basic Training");
    expect(email.parsed.text).toContain(`18 CE hours`);
    expect(email.parsed.text).toContain(`${publicUrl}/verify/${certificate.number}`);
    const pdf = email.parsed.attachments.find((attachment) => attachment.contentType === "application/pdf");
    expect(pdf?.filename).toBe(`certificate-${certificate.number}.pdf`);
    expect(pdf!.content.subarray(0, 5).toString()).toBe("%PDF-");
    expect(pdf!.content.toString("latin1")).toContain(`Certificate ${certificate.number}`);
  });

  it("serves the PDF to the registrant, admins and the host; 404 to a sponsor, 401 without credentials", async () => {
    // given
    const certificate = (await attendanceOf(people.ada)).certificate;
    const path = new URL(certificate.pdfUrl).pathname;
    const get = (token?: string) => fetch(`${mail.server.app.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

    // when
    const [registrant, admin, host, sponsor, anonymous, otherRegistrant] = await Promise.all([
      get(people.ada.manageToken),
      get(mail.server.adminKey),
      get(hostKey),
      get(sponsorKey),
      get(),
      get(people.bert.manageToken),
    ]);

    // then
    expect([registrant.status, admin.status, host.status, sponsor.status, anonymous.status, otherRegistrant.status]).toEqual([200, 200, 200, 404, 401, 404]);
    expect(registrant.headers.get("content-type")).toBe("application/pdf");
    expect(Buffer.from(await registrant.arrayBuffer()).subarray(0, 5).toString()).toBe("%PDF-");
  });

  it("confirms the certificate publicly (query and page, no other personal data) and shows REVOKED after an admin revokes it", async () => {
    // given
    const certificate = (await attendanceOf(people.ada)).certificate;
    const page = () => fetch(`${mail.server.app.url}/verify/${certificate.number}`).then(async (response) => ({ status: response.status, html: await response.text(), csp: response.headers.get("content-security-policy") }));
    const before = await page();
    const verifiedBefore = await mail.server.gql(VERIFY, { number: certificate.number });

    // when
    const revoked = await mail.server.admin(REVOKE, { id: certificate.id, reason: "Attendance sheet found to be forged." });
    const after = await page();
    const verifiedAfter = await mail.server.gql(VERIFY, { number: certificate.number });

    // then
    expect(verifiedBefore.data.verifyCertificate).toEqual({
      number: certificate.number,
      status: "VALID",
      attendeeName: `Ada ${people.ada.lastName}`,
      eventTitle: "MBT Basic Training",
      startDate: "2023-10-04",
      endDate: "2023-10-06",
      creditName: "CE hours",
      creditsAwarded: 18,
      issuedAt: expect.any(String),
    });
    expect(before.status).toBe(200);
    expect(before.html).toContain("<strong>VALID</strong>");
    expect(before.html).toContain("18 CE hours");
    expect(before.html).toContain("4–6 Oct 2023");
    expect(before.html).not.toContain(people.ada.email);
    expect(before.csp).toContain("default-src 'none'");
    expect(revoked.data.revokeCertificate.certificate).toMatchObject({ status: "REVOKED", revokeReason: "Attendance sheet found to be forged." });
    expect(verifiedAfter.data.verifyCertificate.status).toBe("REVOKED");
    expect(after.html).toContain("<strong>REVOKED</strong>");
    expect((await fetch(`${mail.server.app.url}/verify/CE-2023-NOTREAL1`)).status).toBe(404);
  });

  it("lets an admin override a session's minutes, with the reason in the timeline", async () => {
    // when
    const { data } = await mail.server.admin(OVERRIDE, { input: { registrationId: people.bert.id, sessionId: sessionIds[1], minutesPresent: 480, reason: "Signed in on paper at 8:30; the scanner was down." } });

    // then
    expect(data.overrideAttendance.userErrors).toEqual([]);
    expect(data.overrideAttendance.registration.attendance.map((item: { status: string }) => item.status)).toEqual(["PRESENT", "PRESENT", "PRESENT"]);
    expect(data.overrideAttendance.registration.creditsEarned).toBe(18);
    expect(data.overrideAttendance.registration.timeline.at(-1)).toEqual({ action: "ATTENDANCE_OVERRIDDEN", note: "Day 2: 480 of 480 minutes. Signed in on paper at 8:30; the scanner was down." });
  });

  it("lists a session's attendance for the host, not for a sponsor", async () => {
    // when
    const host = await asHost(SESSION_ATTENDANCE, { sessionId: sessionIds[2] });
    const sponsor = await mail.server.gql(SESSION_ATTENDANCE, { sessionId: sessionIds[2] }, { token: sponsorKey });

    // then
    expect(host.data.sessionAttendance.totalCount).toBe(4);
    const day3 = new Map(host.data.sessionAttendance.edges.map((edge: { node: { id: string; attendance: { status: string }[] } }) => [edge.node.id, edge.node.attendance[2]!.status]));
    expect(day3.get(people.ada.id)).toBe("PRESENT");
    expect(day3.get(people.cleo.id)).toBe("ABSENT");
    expect(sponsor.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("exports attendance and credits as CSV for the host, guarded against formulas; refused without credentials and for a sponsor", async () => {
    // given
    const url = `${mail.server.app.url}/exports/events/${course.id}/attendance.csv`;
    const get = (token?: string) => fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

    // when
    const [host, anonymous, sponsor] = await Promise.all([get(hostKey), get(), get(sponsorKey)]);

    // then
    expect([host.status, anonymous.status, sponsor.status]).toEqual([200, 401, 403]);
    expect(host.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const lines = (await host.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "reference,first_name,last_name,email,status,Day 1: status,Day 1: minutes,Day 2: status,Day 2: minutes,Day 3: status,Day 3: minutes,minutes_attended,minutes_scheduled,credits_earned (CE hours),evaluation_submitted,certificate_number,certificate_status",
    );
    expect(lines).toHaveLength(5);
    const ada = lines.find((line) => line.includes(people.ada.email))!;
    expect(ada).toMatch(/,CONFIRMED,PRESENT,480,PRESENT,480,PRESENT,480,1440,1440,18,true,CE-2023-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5},REVOKED$/);
    const cleo = lines.find((line) => line.includes(people.cleo.email))!;
    expect(cleo).toContain(",PRESENT,480,PRESENT,480,ABSENT,0,960,1440,12,false,,");
    const dora = lines.find((line) => line.includes(people.dora.email))!;
    expect(dora).toContain(`"'=HYPERLINK(""https://evil.example"")",'+Tabular,`);
  });

  it("scopes a nonce to its session: the same nonce in another session or another event is another scan, stored; re-uploaded, each is a duplicate", async () => {
    // given: firstUploadNonce is ada's day-1 check-in; another scanner numbers its scans the same way
    const before = await countRecords();
    const batch = [
      { ...record(people.ada, 2, "CHECK_OUT", end(2)), nonce: firstUploadNonce },
      { ...record(people.elsewhere, 1, "CHECK_IN", start(1)), sessionId: otherSessionId, nonce: firstUploadNonce },
    ];

    // when
    const first = await mail.server.admin(RECORD, { records: batch });
    const again = await mail.server.admin(RECORD, { records: batch });

    // then
    expect(first.data.recordAttendance.map((result: { accepted: boolean; duplicate: boolean; userErrors: unknown[] }) => [result.accepted, result.duplicate, result.userErrors])).toEqual([
      [true, false, []],
      [true, false, []],
    ]);
    expect(again.data.recordAttendance.map((result: { accepted: boolean; duplicate: boolean }) => [result.accepted, result.duplicate])).toEqual([
      [true, true],
      [true, true],
    ]);
    expect(await countRecords()).toBe(before + 2);
    const stored = await mail.server.app.deps.db.select({ sessionId: attendanceRecords.sessionId }).from(attendanceRecords).where(eq(attendanceRecords.nonce, firstUploadNonce)).orderBy(asc(attendanceRecords.id));
    expect(stored).toEqual([{ sessionId: sessionIds[0] }, { sessionId: sessionIds[1] }, { sessionId: otherSessionId }]);
  });
});

describe("a session across a change of daylight saving time", () => {
  let mail: MailHarness;

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z" });
  });
  afterAll(() => mail?.close());

  it("counts its real minutes: 00:30–03:30 on the night clocks fall back is 4 hours", async () => {
    // given: Los Angeles falls back from PDT to PST at 2:00 am on 5 Nov 2023
    const course = await createCourse(mail.server, {
      requiresReview: false,
      priceMinor: 0,
      credit: { name: "CE hours", maxCredits: 4, increment: 0.25 },
      learningObjectives: ["Stay awake"],
      sessions: [{ title: "Night session", kind: "LIVE", localStart: "2023-11-05T00:30", localEnd: "2023-11-05T03:30" }],
    });
    const { data: registered } = await mail.server.gql(REGISTER, { input: registrationInput(course) });
    const registrationId = registered.register.registration.id;
    const { data } = await mail.server.admin(`query ($id: ID, $regId: ID) { event(id: $id) { sessions { id startsAt endsAt } } registration(id: $regId) { checkInCode } }`, { id: course.id, regId: registrationId });
    const session = data.event.sessions[0];
    mail.server.clock.set("2023-11-05T12:00:00Z");

    // when
    const recorded = await mail.server.admin(RECORD, { records: [{ checkInCode: data.registration.checkInCode, sessionId: session.id, action: "CHECK_IN", occurredAt: session.startsAt, nonce: "dst-1" }] });
    const { data: after } = await mail.server.admin(ATTENDANCE, { id: registrationId });

    // then
    expect(session).toMatchObject({ startsAt: "2023-11-05T07:30:00.000Z", endsAt: "2023-11-05T11:30:00.000Z" });
    expect(recorded.data.recordAttendance[0].accepted).toBe(true);
    expect(after.registration.attendance).toEqual([expect.objectContaining({ status: "PRESENT", minutesPresent: 240 })]);
    expect(after.registration.creditsEarned).toBe(4);
  });
});
