import { afterEach, describe, expect, it } from "vitest";
import { createCourse, REGISTER, registrationInput } from "../helpers/factories.js";
import { deliveries, drain, startMailHarness, type MailHarness } from "../mail/mail-harness.js";

/*
 * requestEarlyAccess mails the course contact. One request stays pending per
 * registration: repeats answer with the same state and mail nobody; and the call is
 * rate-limited like the other mutations that send email.
 */

const EARLY_ACCESS = /* GraphQL */ `
  mutation ($input: RequestEarlyAccessInput!) {
    requestEarlyAccess(input: $input) { registration { id accessGrant { earlyAccessRequestedAt earlyAccessReason } } userErrors { code message } }
  }
`;
const TIMELINE = /* GraphQL */ `query ($id: ID!) { registration(id: $id) { timeline { action } } }`;

const contact = "robin@mentalizing.example";

describe("requestEarlyAccess does not flood the course contact", () => {
  let mail: MailHarness;
  afterEach(() => mail?.close());

  async function registrant(env: Record<string, string>) {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z", env });
    const course = await createCourse(mail.server);
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(course) });
    return { id: data.register.registration.id as string, token: data.register.manageToken as string };
  }

  const ask = (who: { id: string; token: string }, reason: string) => mail.server.gql(EARLY_ACCESS, { input: { registrationId: who.id, reason } }, { token: who.token });

  it("keeps one pending request per registration: 40 identical calls, one email, the same state every time", async () => {
    // given (rate limits off, so only the pending-request rule is at work)
    const who = await registrant({ RATE_LIMITS: "off" });
    // when
    const answers = [];
    for (let i = 0; i < 40; i++) answers.push(await ask(who, "I am on leave the month before"));
    await drain(mail.server.app.worker);
    // then
    expect(answers.every((answer) => answer.data.requestEarlyAccess.userErrors.length === 0)).toBe(true);
    const states = new Set(answers.map((answer) => JSON.stringify(answer.data.requestEarlyAccess.registration.accessGrant)));
    expect([...states]).toEqual([JSON.stringify({ earlyAccessRequestedAt: "2023-06-01T12:00:00.000Z", earlyAccessReason: "I am on leave the month before" })]);
    expect(await deliveries(mail.server, { registrationId: who.id, kind: "EARLY_ACCESS_REQUESTED" })).toHaveLength(1);
    expect(mail.smtp.to(contact)).toHaveLength(1);
    const timeline = (await mail.server.admin(TIMELINE, { id: who.id })).data.registration.timeline.map((change: { action: string }) => change.action);
    expect(timeline.filter((action: string) => action === "EARLY_ACCESS_REQUESTED")).toHaveLength(1);
    // a later repeat with another reason changes nothing either
    mail.server.clock.advance(3_600_000);
    const later = await ask(who, "Another reason");
    expect(later.data.requestEarlyAccess.registration.accessGrant.earlyAccessReason).toBe("I am on leave the month before");
    await drain(mail.server.app.worker);
    expect(mail.smtp.to(contact)).toHaveLength(1);
  });

  it("is rate-limited per email address like register (5 an hour by default), with RATE_LIMITED and Retry-After", async () => {
    // given the default limits
    const who = await registrant({ RATE_LIMITS: "on" });
    // when
    const answers = [];
    for (let i = 0; i < 40; i++) answers.push(await ask(who, "Please"));
    await drain(mail.server.app.worker);
    // then
    const codes = answers.map((answer) => answer.data.requestEarlyAccess.userErrors[0]?.code ?? "OK");
    expect(codes.slice(0, 5)).toEqual(["OK", "OK", "OK", "OK", "OK"]);
    expect(codes.slice(5).every((code) => code === "RATE_LIMITED")).toBe(true);
    expect(Number(answers[5]!.headers.get("retry-after"))).toBeGreaterThan(60);
    expect(mail.smtp.to(contact)).toHaveLength(1);
  });

  it("is rate-limited per client address (RATE_LIMIT_PER_IP a minute)", async () => {
    // given a low per-address limit
    const who = await registrant({ RATE_LIMITS: "on", RATE_LIMIT_PER_IP: "3" });
    // when
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await ask(who, "Please"));
    // then
    expect(answers.map((answer) => answer.data.requestEarlyAccess.userErrors[0]?.code ?? "OK")).toEqual(["OK", "OK", "OK", "RATE_LIMITED"]);
    expect(Number(answers[3]!.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(answers[3]!.data.requestEarlyAccess.registration).toBeNull();
  });

  it("refuses someone on the waitlist, who holds no seat, and mails nobody", async () => {
    // given a full course and a second applicant on its waitlist
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z", env: { RATE_LIMITS: "off" } });
    const course = await createCourse(mail.server, { capacity: 1 });
    await mail.server.gql(REGISTER, { input: registrationInput(course, {}, { email: "first@clinic.example" }) });
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(course, {}, { email: "second@clinic.example" }) });
    expect(data.register.registration.status).toBe("WAITLISTED");
    const who = { id: data.register.registration.id as string, token: data.register.manageToken as string };
    // when
    const answer = await ask(who, "I am on leave the month before");
    await drain(mail.server.app.worker);
    // then
    expect(answer.data.requestEarlyAccess.userErrors).toEqual([{ code: "INVALID_STATE", message: expect.stringContaining("waitlist") }]);
    expect(mail.smtp.to(contact)).toHaveLength(0);
  });
});
