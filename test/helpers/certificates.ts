import { expect } from "vitest";
import { mbtLearningObjectives } from "../../src/demo/mbt-course.js";
import { REGISTER, registrationInput, type TestCourse } from "./factories.js";
import type { TestServer } from "./server.js";

/*
 * The whole road to an issued certificate over HTTP, for tests that need a certificate
 * rather than test the road to it (test/attendance/attendance-certificates.test.ts walks
 * it step by step): register, pay, present all of every LIVE session, evaluate, claim.
 */

const PAY = /* GraphQL */ `
  mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { registration { status } userErrors { code message } } }
`;
const RECORD = /* GraphQL */ `
  mutation ($records: [AttendanceRecordInput!]!) { recordAttendance(records: $records) { accepted userErrors { field code message } } }
`;
const EVALUATE = /* GraphQL */ `
  mutation ($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) { userErrors { field code message } } }
`;
const CLAIM = /* GraphQL */ `
  mutation ($input: ClaimCertificateInput!) {
    claimCertificate(input: $input) { certificate { id number status creditsAwarded issuedAt verifyUrl pdfUrl } userErrors { field code message } }
  }
`;

export interface IssuedCertificate {
  registrationId: string;
  manageToken: string;
  attendee: { firstName: string; lastName: string };
  certificate: { id: string; number: string; status: string; creditsAwarded: number; issuedAt: string; verifyUrl: string; pdfUrl: string };
}

/**
 * Issues a certificate to a new registrant of the course who attended every LIVE session
 * from start to end. Moves the server's clock to an hour after the last session.
 */
export async function issueCertificate(server: TestServer, course: TestCourse, attendee: Record<string, unknown> = {}): Promise<IssuedCertificate> {
  const input = registrationInput(course, {}, attendee);
  const registered = await server.gql(REGISTER, { input });
  expect(registered.data.register.userErrors).toEqual([]);
  const registrationId: string = registered.data.register.registration.id;
  const manageToken: string = registered.data.register.manageToken;
  const paid = await server.admin(PAY, { input: { registrationId, amountMinor: 125000, currency: "USD", method: "card" } });
  expect(paid.data.recordPayment.userErrors).toEqual([]);

  const { data } = await server.admin(`query ($eventId: ID, $id: ID) { event(id: $eventId) { sessions { id kind startsAt endsAt } } registration(id: $id) { checkInCode } }`, {
    eventId: course.id,
    id: registrationId,
  });
  const live: { id: string; startsAt: string; endsAt: string }[] = data.event.sessions.filter((session: { kind: string }) => session.kind === "LIVE");
  server.clock.set(new Date(new Date(live.at(-1)!.endsAt).getTime() + 60 * 60_000).toISOString());
  const records = live.flatMap((session) => [
    { checkInCode: data.registration.checkInCode, sessionId: session.id, action: "CHECK_IN", occurredAt: session.startsAt, nonce: `${registrationId}:${session.id}:in` },
    { checkInCode: data.registration.checkInCode, sessionId: session.id, action: "CHECK_OUT", occurredAt: session.endsAt, nonce: `${registrationId}:${session.id}:out` },
  ]);
  const recorded = await server.admin(RECORD, { records });
  expect(recorded.data.recordAttendance.flatMap((result: { userErrors: unknown[] }) => result.userErrors)).toEqual([]);

  const asRegistrant = (query: string, variables: Record<string, unknown>) => server.gql(query, variables, { token: manageToken });
  const objectiveRatings = mbtLearningObjectives.map((_text, index) => ({ position: index + 1, rating: 5 }));
  const evaluated = await asRegistrant(EVALUATE, { input: { registrationId, objectiveRatings } });
  expect(evaluated.data.submitEvaluation.userErrors).toEqual([]);
  const claimed = await asRegistrant(CLAIM, { input: { registrationId, attestation: true } });
  expect(claimed.data.claimCertificate.userErrors).toEqual([]);
  return {
    registrationId,
    manageToken,
    attendee: { firstName: input.attendee.firstName as string, lastName: input.attendee.lastName as string },
    certificate: claimed.data.claimCertificate.certificate,
  };
}

/** GETs the certificate's PDF from the app (pdfUrl names the public host, the path is the app's). */
export async function downloadCertificatePdf(server: TestServer, pdfUrl: string, token: string): Promise<Response> {
  return fetch(`${server.app.url}${new URL(pdfUrl).pathname}`, { headers: { authorization: `Bearer ${token}` } });
}
