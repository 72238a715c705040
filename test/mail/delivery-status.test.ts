import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCourse, REGISTER, registrationInput } from "../helpers/factories.js";
import { deliveries, drain, startMailHarness, type MailHarness } from "./mail-harness.js";

const EMAIL_DELIVERIES = /* GraphQL */ `
  query ($registrationId: ID) { emailDeliveries(registrationId: $registrationId, first: 10) { edges { node { status attempts lastError nextAttemptAt sentAt } } } }
`;
const REGISTRATION_EMAILS = /* GraphQL */ `
  query ($id: ID!) { registration(id: $id) { emails { status attempts lastError nextAttemptAt } } }
`;

describe("what admins see of a delivery", () => {
  let mail: MailHarness;

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z" });
  });
  afterAll(() => mail.close());

  it("a delivery that failed once and then went out shows no stale error or next attempt once SENT", async () => {
    // given an email whose first attempt failed (the SMTP server was down)
    const course = await createCourse(mail.server);
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(course) });
    const id = data.register.registration.id;
    await mail.smtp.stop();
    await mail.server.app.worker.runOnce();
    const retrying = (await mail.server.admin(EMAIL_DELIVERIES, { registrationId: id })).data.emailDeliveries.edges[0].node;
    expect(retrying).toMatchObject({ status: "RETRYING", attempts: 1, lastError: expect.stringMatching(/ECONNREFUSED|ECONNECTION/), sentAt: null });
    expect(new Date(retrying.nextAttemptAt).getTime()).toBeGreaterThan(mail.server.clock.now().getTime());

    // when the server is back and the retry goes out
    await mail.smtp.start();
    mail.server.clock.advance(60 * 60_000);
    await drain(mail.server.app.worker);

    // then
    const sent = (await mail.server.admin(EMAIL_DELIVERIES, { registrationId: id })).data.emailDeliveries.edges[0].node;
    expect(sent).toMatchObject({ status: "SENT", attempts: 2, lastError: null, nextAttemptAt: null });
    expect(sent.sentAt).not.toBeNull();
    expect((await mail.server.admin(REGISTRATION_EMAILS, { id })).data.registration.emails).toEqual([{ status: "SENT", attempts: 2, lastError: null, nextAttemptAt: null }]);
    // and the outbox row itself keeps no error or claim
    expect((await deliveries(mail.server, { registrationId: id }))[0]).toMatchObject({ status: "SENT", lastError: null, claimedUntil: null, claimedBy: null });
    expect(mail.smtp.received).toHaveLength(1);
  });
});
