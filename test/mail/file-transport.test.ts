import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { deliveries, drain } from "./mail-harness.js";

describe("with no SMTP_URL, every email is written as an .eml file under MAIL_DIR", () => {
  let server: TestServer;
  let course: TestCourse;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RATE_LIMITS: "off" } });
    course = await createCourse(server);
  });
  afterAll(() => server.close());

  it("writes a complete message a mail client can open, named by its Message-ID, once", async () => {
    // given
    const mailDir = server.app.deps.config.mailDir;
    expect(server.app.deps.config.smtpUrl).toBeUndefined();
    expect(mailDir).toBe(join(server.dir, "mail"));
    const { data } = await server.gql(REGISTER, { input: registrationInput(course) });
    const registration = data.register.registration;
    // when
    await drain(server.app.worker);
    await drain(server.app.worker);
    // then
    const [row] = await deliveries(server, { registrationId: registration.id });
    expect(row).toMatchObject({ kind: "REGISTRATION_RECEIVED", status: "SENT", attempts: 1 });
    const files = readdirSync(mailDir);
    expect(files).toEqual([`${row!.id}@event-registration.eml`]);
    const parsed = await simpleParser(readFileSync(join(mailDir, files[0]!)));
    expect(parsed.messageId).toBe(row!.messageId);
    expect(parsed.subject).toBe(`Application received: MBT Basic Training (${registration.reference})`);
    expect(parsed.to).toMatchObject({ value: [{ address: registration.attendee.email }] });
    expect(parsed.from).toMatchObject({ value: [{ address: "training@localhost", name: "MBT Training" }] });
    expect(parsed.text).toContain("Wed 4 Oct 2023, 8:30 am – 4:30 pm PDT");
    expect(String(parsed.html)).toContain(registration.reference);
  });

  it("says where mail goes", () => {
    expect(server.app.mailTransport.description).toBe(`.eml files in ${join(server.dir, "mail")}`);
  });
});
