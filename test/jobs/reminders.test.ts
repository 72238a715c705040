import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { deliveries, drain, receivedEmail, startMailHarness, type MailHarness } from "../mail/mail-harness.js";

const APPROVE = /* GraphQL */ `
  mutation ($id: ID!) { reviewRegistration(input: { registrationId: $id, decision: APPROVE }) { registration { status } } }
`;
const PAY = /* GraphQL */ `
  mutation ($id: ID!) { recordPayment(input: { registrationId: $id, amountMinor: 125000, currency: "USD", method: "card" }) { registration { status accessGrant { status } } userErrors { code } } }
`;
const COMPLETED = /* GraphQL */ `
  mutation ($id: ID!) { markPrerequisiteCompleted(registrationId: $id) { registration { prerequisiteCompletedAt } userErrors { code } } }
`;
const CANCEL = /* GraphQL */ `
  mutation ($id: ID!) { cancelRegistration(input: { registrationId: $id }) { registration { status } } }
`;

/** The MBT course starts 2023-10-04 08:30 PDT: 14 days before is 2023-09-20T15:30Z, 3 days before 2023-10-01T15:30Z. */
const fourteenDaysBefore = "2023-09-20T15:30:00Z";
const threeDaysBefore = "2023-10-01T15:30:00Z";

describe("PREREQUISITE_REMINDER at 14 and 3 days before the start, exactly once each", () => {
  let mail: MailHarness;
  let course: TestCourse;
  const people: Record<"early" | "completed" | "unpaid" | "cancelled" | "late", string> = { early: "", completed: "", unpaid: "", cancelled: "", late: "" };

  async function applyAndApprove(): Promise<string> {
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(course) });
    const id = data.register.registration.id as string;
    await mail.server.admin(APPROVE, { id });
    return id;
  }

  const reminders = (id: string) => deliveries(mail.server, { registrationId: id, kind: "PREREQUISITE_REMINDER" });
  const allReminders = () => deliveries(mail.server, { kind: "PREREQUISITE_REMINDER" });

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-07-01T12:00:00Z" });
    course = await createCourse(mail.server);
    // given: three paid in July, one of whom completes the course and one cancels; one never pays
    for (const who of ["early", "completed", "cancelled"] as const) {
      people[who] = await applyAndApprove();
      await mail.server.admin(PAY, { id: people[who] });
    }
    people.unpaid = await applyAndApprove();
    // access opens on 2023-09-04
    mail.server.clock.set("2023-09-04T15:30:00Z");
    await drain(mail.server.app.worker);
    await mail.server.admin(COMPLETED, { id: people.completed });
    await mail.server.admin(CANCEL, { id: people.cancelled });
  });
  afterAll(() => mail.close());

  it("nothing before the 14-day mark", async () => {
    mail.server.clock.set(new Date(Date.parse(fourteenDaysBefore) - 1));
    const [step] = await drain(mail.server.app.worker);
    expect(step!.jobs.prerequisiteReminders).toBe(0);
    expect(await allReminders()).toHaveLength(0);
  });

  it("at 14 days: only the confirmed registrant who has not completed the course, once however often the worker runs", async () => {
    mail.server.clock.set(fourteenDaysBefore);
    await drain(mail.server.app.worker);
    await drain(mail.server.app.worker);
    mail.server.clock.advance(26 * 3_600_000);
    await drain(mail.server.app.worker);
    expect((await allReminders()).map((row) => row.registrationId)).toEqual([people.early]);
    const email = await receivedEmail(mail, people.early, "PREREQUISITE_REMINDER");
    expect(email.row.dedupeKey).toBe(`${people.early}:PREREQUISITE_REMINDER:d14`);
    expect(email.parsed.text).toContain("MBT Basic Training starts in 14 days, on 4 Oct 2023");
    expect(email.parsed.text).toContain("https://www.annafreud.org/training/mbt-adult-introduction/");
  });

  it("someone given access after the 14-day mark is not reminded for it", async () => {
    mail.server.clock.set("2023-09-25T17:00:00Z");
    people.late = await applyAndApprove();
    const paid = await mail.server.admin(PAY, { id: people.late });
    expect(paid.data.recordPayment.registration.accessGrant.status).toBe("GRANTED");
    await drain(mail.server.app.worker);
    expect(await reminders(people.late)).toHaveLength(0);
  });

  it("at 3 days: the 3-day reminder to each who still has not completed it, once", async () => {
    mail.server.clock.set(threeDaysBefore);
    await drain(mail.server.app.worker);
    mail.server.clock.advance(3_600_000);
    await drain(mail.server.app.worker);
    expect((await reminders(people.early)).map((row) => row.dedupeKey)).toEqual([`${people.early}:PREREQUISITE_REMINDER:d14`, `${people.early}:PREREQUISITE_REMINDER:d3`]);
    expect((await reminders(people.late)).map((row) => row.dedupeKey)).toEqual([`${people.late}:PREREQUISITE_REMINDER:d3`]);
    for (const who of ["completed", "unpaid", "cancelled"] as const) expect(await reminders(people[who])).toEqual([]);
    const threeDay = mail.smtp.received.filter((email) => email.parsed.text?.includes("starts in 3 days, on 4 Oct 2023"));
    expect(threeDay.map((email) => email.envelope.to[0]).sort()).toEqual([(await reminders(people.early))[1]!.to, (await reminders(people.late))[0]!.to].sort());
    expect((await allReminders()).every((row) => row.status === "SENT")).toBe(true);
  });

  it("nothing once the event has started", async () => {
    mail.server.clock.set("2023-10-04T16:00:00Z");
    const [step] = await drain(mail.server.app.worker);
    expect(step!.jobs.prerequisiteReminders).toBe(0);
    expect(await allReminders()).toHaveLength(3);
  });
});

describe("reminders when the worker was down and with other lead times", () => {
  let mail: MailHarness;
  afterAll(() => mail.close());

  it("a worker that was down through the 14-day mark sends only the latest reminder due; REMINDER_DAYS sets the days", async () => {
    // given REMINDER_DAYS=10,2 and a registrant with access since the opening
    mail = await startMailHarness({ now: "2023-07-01T12:00:00Z", env: { REMINDER_DAYS: "10,2" } });
    const course = await createCourse(mail.server, { requiresReview: false });
    const { data } = await mail.server.gql(REGISTER, { input: registrationInput(course) });
    const id = data.register.registration.id as string;
    await mail.server.admin(PAY, { id });
    mail.server.clock.set("2023-09-04T15:30:00Z");
    await drain(mail.server.app.worker);
    // when the worker next runs 2 days before the start (past both marks)
    mail.server.clock.set("2023-10-02T16:00:00Z");
    await drain(mail.server.app.worker);
    // then only the 2-day reminder went out
    expect((await deliveries(mail.server, { registrationId: id, kind: "PREREQUISITE_REMINDER" })).map((row) => row.dedupeKey)).toEqual([`${id}:PREREQUISITE_REMINDER:d2`]);
    expect((await receivedEmail(mail, id, "PREREQUISITE_REMINDER")).parsed.text).toContain("starts in 2 days");
  });
});
