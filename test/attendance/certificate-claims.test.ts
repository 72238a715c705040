import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countRows } from "../helpers/db.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { pdfTextRuns } from "../helpers/pdf-text.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/*
 * A one-day course worth 17.125 CE hours in steps of 0.125, attended in full: the
 * certificate's attestation, its number, its PDF in a font that prints every name in
 * Latin Extended, Greek and Cyrillic, and the credit printed exactly as awarded.
 */

const RECORD = /* GraphQL */ `
  mutation ($records: [AttendanceRecordInput!]!) { recordAttendance(records: $records) { accepted userErrors { field code message } } }
`;
const CHECK_IN_CODE = /* GraphQL */ `
  query ($id: ID) { registration(id: $id) { checkInCode certificate { id } } }
`;
const CLAIM = /* GraphQL */ `
  mutation ($input: ClaimCertificateInput!) {
    claimCertificate(input: $input) { certificate { id number status creditsAwarded issuedAt pdfUrl } userErrors { field code message } }
  }
`;
const VERIFY = /* GraphQL */ `
  query ($number: String!) { verifyCertificate(number: $number) { number status attendeeName creditsAwarded } }
`;

const title = "Ψυχοθεραπεία in Őrség, Şişli, Brăila";
const attestationError = {
  code: "NOT_YET_EARNED",
  field: ["input", "attestation"],
  message: "The attestation: attest that you claim only the credit commensurate with the extent of your participation.",
};

describe("claiming a certificate and what it prints", () => {
  let server: TestServer;
  let course: TestCourse;
  let sessionId: string;
  const people: Record<"lukasz" | "zeynep", { id: string; token: string }> = {} as never;
  const certificateCount = () => countRows(server, "certificates");
  const claim = (who: { id: string; token: string }, attestation: boolean) => server.gql(CLAIM, { input: { registrationId: who.id, attestation } }, { token: who.token });

  async function register(firstName: string, lastName: string) {
    const { data } = await server.gql(REGISTER, { input: registrationInput(course, {}, { firstName, lastName }) });
    expect(data.register.userErrors).toEqual([]);
    return { id: data.register.registration.id as string, token: data.register.manageToken as string };
  }

  async function attendAllDay(who: { id: string }) {
    const code = (await server.admin(CHECK_IN_CODE, { id: who.id })).data.registration.checkInCode;
    const recorded = await server.admin(RECORD, { records: [{ checkInCode: code, sessionId, action: "CHECK_IN", occurredAt: "2023-10-04T15:30:00Z", nonce: `door:${who.id}` }] });
    expect(recorded.data.recordAttendance[0]).toEqual({ accepted: true, userErrors: [] });
  }

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { PUBLIC_URL: "https://courses.example" } });
    course = await createCourse(server, {
      title,
      requiresReview: false,
      priceMinor: 0,
      evaluationRequired: false,
      credit: { name: "CE hours", maxCredits: 17.125, increment: 0.125 },
      sessions: [{ title: "Day 1", kind: "LIVE", localStart: "2023-10-04T08:30", localEnd: "2023-10-04T16:30" }],
    });
    sessionId = (await server.admin(`query ($id: ID) { event(id: $id) { sessions { id } } }`, { id: course.id })).data.event.sessions[0].id;
    people.lukasz = await register("Łukasz", "Иванов Zoë");
    people.zeynep = await register("Zeynep", "Doğan");
    server.clock.set("2023-10-04T16:00:00Z");
    await attendAllDay(people.lukasz);
    await attendAllDay(people.zeynep);
  });
  afterAll(() => server?.close());

  it("without the attestation: NOT_YET_EARNED names it alongside the other unmet conditions, and issues nothing", async () => {
    // given: the session is still running
    server.clock.set("2023-10-04T20:00:00Z");

    // when
    const during = await claim(people.zeynep, false);
    server.clock.set("2023-10-05T09:00:00Z");
    const after = await claim(people.zeynep, false);

    // then
    expect(during.data.claimCertificate.certificate).toBeNull();
    expect(during.data.claimCertificate.userErrors).toEqual([
      { code: "NOT_YET_EARNED", field: ["input", "registrationId"], message: expect.stringMatching(/^The last live session ends at /) },
      attestationError,
    ]);
    expect(after.data.claimCertificate.userErrors).toEqual([attestationError]);
    expect(await certificateCount()).toBe(0);
  });

  it("issues a number of 15 random characters in groups; claiming again without the attestation returns the same certificate", async () => {
    // when
    const claimed = await claim(people.lukasz, true);
    const again = await claim(people.lukasz, false);

    // then
    expect(claimed.data.claimCertificate.userErrors).toEqual([]);
    const certificate = claimed.data.claimCertificate.certificate;
    expect(certificate).toMatchObject({ status: "VALID", creditsAwarded: 17.125 });
    expect(certificate.number).toMatch(/^CE-2023-[2-9A-HJKMNP-TV-Z]{5}-[2-9A-HJKMNP-TV-Z]{5}-[2-9A-HJKMNP-TV-Z]{5}$/);
    expect(again.data.claimCertificate).toEqual({ certificate, userErrors: [] });
    expect(await certificateCount()).toBe(1);
    expect((await server.gql(VERIFY, { number: certificate.number.toLowerCase() })).data.verifyCertificate).toEqual({
      number: certificate.number,
      status: "VALID",
      attendeeName: "Łukasz Иванов Zoë",
      creditsAwarded: 17.125,
    });
  });

  it("sets the PDF in embedded DejaVu Sans: every character of the name and title has a real glyph and reads back as written", async () => {
    // given
    const { data } = await server.admin(`query ($id: ID) { registration(id: $id) { certificate { pdfUrl } } }`, { id: people.lukasz.id });
    const response = await fetch(`${server.app.url}${new URL(data.registration.certificate.pdfUrl).pathname}`, { headers: { authorization: `Bearer ${people.lukasz.token}` } });
    const pdf = Buffer.from(await response.arrayBuffer());

    // when
    const runs = pdfTextRuns(pdf);

    // then
    expect(response.status).toBe(200);
    expect(pdf.toString("latin1")).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans-Bold\b/);
    expect(pdf.toString("latin1")).not.toContain("Helvetica");
    expect(runs.length).toBeGreaterThan(5);
    expect(runs.every((run) => /^[A-Z]{6}\+DejaVuSans(-Bold)?$/.test(run.font.baseFont))).toBe(true);
    for (const text of ["Łukasz Иванов Zoë", title]) {
      const run = runs.find((candidate) => candidate.text === text);
      expect(run, text).toBeDefined();
      expect(run!.font.baseFont).toMatch(/\+DejaVuSans-Bold$/);
      // CID 0 is .notdef: the box a font draws for a character it has no glyph for.
      expect(run!.cids).not.toContain(0);
    }
  });

  it("prints the credit exactly as awarded on the verification page and in the PDF: 17.125, not 17.13", async () => {
    // given
    const { data } = await server.admin(`query ($id: ID) { registration(id: $id) { certificate { number pdfUrl } } }`, { id: people.lukasz.id });
    const { number, pdfUrl } = data.registration.certificate;

    // when
    const page = await fetch(`${server.app.url}/verify/${number}`).then((response) => response.text());
    const pdf = Buffer.from(await (await fetch(`${server.app.url}${new URL(pdfUrl).pathname}`, { headers: { authorization: `Bearer ${server.adminKey}` } })).arrayBuffer());

    // then
    expect(page).toContain("17.125 CE hours");
    expect(page).not.toContain("17.13");
    expect(pdfTextRuns(pdf).map((run) => run.text)).toContain("17.125 CE hours awarded");
  });
});
