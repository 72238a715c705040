import type { BrowserContext } from "playwright-core";
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDateTime } from "../../src/common/time.js";
import { newsletterSubscriptions } from "../../src/db/tables.js";
import { mbtPrerequisite, mbtTimeZone } from "../../src/demo/mbt-course.js";
import { launchChromium } from "../helpers/browser.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { emailedToken } from "../helpers/outbox.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const STATUS = /* GraphQL */ `
  query ($id: ID!) { registration(id: $id) { status } }
`;
const REQUEST_LINK = /* GraphQL */ `
  mutation ($email: EmailAddress!) { requestSignInLink(email: $email) { ok } }
`;
const APPROVE = /* GraphQL */ `
  mutation ($id: ID!) { reviewRegistration(input: { registrationId: $id, decision: APPROVE }) { registration { status } userErrors { code message } } }
`;
const PAY_IN_FULL = /* GraphQL */ `
  mutation ($id: ID!) {
    recordPayment(input: { registrationId: $id, amountMinor: 125000, currency: "USD", method: "card", reference: "ch_pages" }) {
      registration { status accessGrant { status scheduledFor } } userErrors { code message }
    }
  }
`;
const GRANT_EARLY_ACCESS = /* GraphQL */ `
  mutation ($id: ID!) { grantEarlyAccess(registrationId: $id) { registration { accessGrant { status } } userErrors { code message } } }
`;
const CANCEL = /* GraphQL */ `
  mutation ($id: ID!) { cancelRegistration(input: { registrationId: $id, reason: "Cannot travel" }) { registration { status } userErrors { code message } } }
`;
const OFFER = /* GraphQL */ `
  query ($id: ID!) { registration(id: $id) { status offerExpiresAt } }
`;

describe("the registrant's pages that email links open", () => {
  let server: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: BrowserContext;
  let course: TestCourse;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    chromium = await launchChromium();
    browser = chromium.browser;
    course = await createCourse(server);
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  const origin = () => new URL(server.url).origin;

  it("/manage with a link that no longer works says so and offers a sign-in link by email", async () => {
    // given a manage link that opens nothing (expired, or mistyped)
    const page = await browser.newPage();

    // when it is opened
    await page.goto(`${origin()}/manage#mt_${"x".repeat(32)}`);

    // then the page explains and asks for the address instead of staying on "Loading…"
    await page.getByLabel("Your email address").waitFor();
    expect(await page.locator("body").innerText()).toContain("This manage link is not valid");
    expect(await page.locator("body").innerText()).not.toContain("Loading…");
    await page.close();
  });

  it("/manage shows the booking from the manage link and cancels it", async () => {
    // given a registration and its manage token
    const { data } = await server.gql(REGISTER, { input: registrationInput(course, {}, { email: "peter@clinic.example" }) });
    const { id, reference } = data.register.registration;
    const page = await browser.newPage();
    page.on("dialog", (dialog) => void dialog.accept());
    // when the link is opened
    await page.goto(`${origin()}/manage#${data.register.manageToken}`);
    // then the booking is shown, with its sessions in local time, and the token leaves the address bar
    const status = page.getByTestId("status");
    await expect.poll(() => status.textContent()).toContain(reference);
    expect(await page.textContent("main")).toContain("Day 1: Wed 4 Oct 2023, 8:30 am – 4:30 pm PDT");
    // and the venue's ADA compliance once, though its notes say it too
    const venue = (await page.locator("main p", { hasText: "UCLA Faculty Center," }).textContent())!;
    expect(venue.match(/ADA compliant/g)).toHaveLength(1);
    expect(page.url()).not.toContain("mt_");
    // when the registrant cancels
    await page.getByRole("button", { name: "Cancel this registration" }).click();
    await expect.poll(() => page.textContent("#status")).toContain("Your registration is cancelled.");
    expect((await server.admin(STATUS, { id })).data.registration.status).toBe("CANCELLED");
    await page.close();
  });

  it("/sign-in spends the emailed link and lists the person's registrations", async () => {
    await server.gql(REGISTER, { input: registrationInput(course, {}, { email: "hanna@clinic.example" }) });
    await server.gql(REQUEST_LINK, { email: "hanna@clinic.example" });
    const token = await emailedToken(server, "hanna@clinic.example", "REGISTRANT_SIGN_IN", "sign-in");
    const page = await browser.newPage();
    await page.goto(`${origin()}/sign-in#${token}`);
    await expect.poll(() => page.textContent("main")).toContain("MBT Basic Training");
    expect(await page.getByRole("heading", { level: 2 }).count()).toBe(1);
    expect(await page.textContent("main")).toContain("Day 3: Fri 6 Oct 2023, 8:30 am – 4:30 pm PDT");
    await page.close();
  });

  it("/newsletter/confirm confirms the subscription from the emailed link", async () => {
    await server.gql(`mutation { subscribeToNewsletter(input: { email: "joan@clinic.example", consent: true }) { ok } }`);
    const confirmToken = await emailedToken(server, "joan@clinic.example", "NEWSLETTER_CONFIRM", "newsletter/confirm");
    const page = await browser.newPage();
    await page.goto(`${origin()}/newsletter/confirm#${confirmToken}`);
    await expect.poll(() => page.textContent("#status")).toContain("your subscription is confirmed");
    const [confirmed] = await server.app.deps.db.select({ n: count() }).from(newsletterSubscriptions).where(eq(newsletterSubscriptions.status, "CONFIRMED"));
    expect(confirmed!.n).toBe(1);
    await page.close();
  });
  /** Registers someone and returns what the manage link opens. */
  async function registerSomeone(target: TestCourse, email: string) {
    const { data } = await server.gql(REGISTER, { input: registrationInput(target, {}, { email }) });
    expect(data.register.userErrors).toEqual([]);
    return { id: data.register.registration.id as string, reference: data.register.registration.reference as string, token: data.register.manageToken as string };
  }

  async function paidInFull(email: string) {
    const registration = await registerSomeone(course, email);
    expect((await server.admin(APPROVE, { id: registration.id })).data.reviewRegistration.userErrors).toEqual([]);
    const paid = await server.admin(PAY_IN_FULL, { id: registration.id });
    expect(paid.data.recordPayment.registration.status).toBe("CONFIRMED");
    return { ...registration, accessGrant: paid.data.recordPayment.registration.accessGrant as { status: string; scheduledFor: string } };
  }

  async function openManagePage(token: string, reference: string) {
    const page = await browser.newPage();
    await page.goto(`${origin()}/manage#${token}`);
    await expect.poll(() => page.getByTestId("status").textContent()).toContain(reference);
    return page;
  }

  it("/manage shows when course access opens in the event's zone, as the emails do, and every means of contact", async () => {
    // given a paid place whose course access is scheduled for 2023-09-04 08:30 in Los Angeles (15:30 UTC)
    const { reference, token, accessGrant } = await paidInFull("tomas@clinic.example");
    expect(accessGrant).toEqual({ status: "SCHEDULED", scheduledFor: "2023-09-04T15:30:00.000Z" });
    // when the manage link is opened
    const page = await openManagePage(token, reference);
    // then the opening time is the event's wall-clock time with its zone's abbreviation, not GMT
    const access = (await page.locator("main p", { hasText: "online course opens" }).textContent({ timeout: 5_000 }))!;
    expect(access).toContain("opens on Mon 4 Sep 2023, 8:30 am PDT.");
    expect(access).toContain(formatDateTime(new Date(accessGrant.scheduledFor), mbtTimeZone));
    expect(access).not.toContain("GMT");
    expect(access).not.toContain("15:30");
    // and the contact's name, phone and email are all there, the email as a link
    expect(await page.locator("main p", { hasText: "Questions:" }).textContent({ timeout: 5_000 })).toBe("Questions: Robin Kissell, 310-859-7912, robin@mentalizing.example");
    expect(await page.getByRole("link", { name: "robin@mentalizing.example" }).getAttribute("href")).toBe("mailto:robin@mentalizing.example");
    await page.close();
  });

  it("/manage links to the online course once access is granted", async () => {
    // given a paid place with access granted early by an admin
    const { id, reference, token } = await paidInFull("ines@clinic.example");
    expect((await server.admin(GRANT_EARLY_ACCESS, { id })).data.grantEarlyAccess.registration.accessGrant.status).toBe("GRANTED");
    // when the manage link is opened
    const page = await openManagePage(token, reference);
    // then the course is one click away, and early access is no longer offered
    const link = page.getByRole("link", { name: mbtPrerequisite.title });
    expect(await link.getAttribute("href", { timeout: 5_000 })).toBe(mbtPrerequisite.url);
    expect(await page.locator("main p", { hasText: "online course" }).textContent({ timeout: 5_000 })).toContain("Your access to the online course is open");
    expect(await page.getByRole("button", { name: "Ask for early access" }).count()).toBe(0);
    await page.close();
  });

  it("/manage shows someone on the waitlist no bill and no early-access form, and the deadline of a place offered to them", async () => {
    // given a course with one seat, held by a first applicant, and a second applicant on the waitlist
    const small = await createCourse(server, { capacity: 1 });
    const first = await registerSomeone(small, "first@clinic.example");
    const waiting = await registerSomeone(small, "waiting@clinic.example");
    // when the waiting person opens the manage link
    const page = await openManagePage(waiting.token, waiting.reference);
    // then they see their place in the queue, and nothing about paying or early access
    expect(await page.getByTestId("status").textContent()).toContain("On the waitlist. Position 1.");
    const main = (await page.textContent("main"))!;
    expect(main).not.toContain("Paid");
    expect(main).not.toContain("$0.00");
    expect(await page.getByRole("button", { name: "Ask for early access" }).count()).toBe(0);
    expect(await page.getByRole("textbox").count()).toBe(0);
    expect(await page.getByText("held for you until").count()).toBe(0);
    await page.close();

    // when the first applicant cancels, the seat is offered to the waiting person for 72 hours (until 2023-06-04T12:00Z)
    expect((await server.admin(CANCEL, { id: first.id })).data.cancelRegistration.userErrors).toEqual([]);
    const offered = (await server.admin(OFFER, { id: waiting.id })).data.registration;
    expect(offered).toEqual({ status: "PENDING_REVIEW", offerExpiresAt: "2023-06-04T12:00:00.000Z" });
    const again = await openManagePage(waiting.token, waiting.reference);
    // then the page says until when the place is held, in the event's zone
    const offer = (await again.locator("main p", { hasText: "held for you until" }).textContent({ timeout: 5_000 }))!;
    expect(offer).toContain("held for you until Sun 4 Jun 2023, 5 am PDT");
    expect(offer).not.toContain("GMT");
    await again.close();
  });

  it("/manage follows a new #token without a reload", async () => {
    // given the manage page open on one registration
    const one = await registerSomeone(course, "one@clinic.example");
    const other = await registerSomeone(course, "other@clinic.example");
    const page = await openManagePage(one.token, one.reference);
    // (Strings: the tests are compiled without the DOM library.)
    await page.evaluate("window.stillThisDocument = true");
    // when another manage link is opened in the same tab (only the fragment changes)
    await page.evaluate(`window.location.hash = ${JSON.stringify(other.token)}`);
    // then the other registration is shown, by the same document, and its token leaves the address bar too
    await expect.poll(() => page.getByTestId("status").textContent()).toContain(other.reference);
    expect(await page.textContent("main")).not.toContain(one.reference);
    expect(await page.evaluate("window.stillThisDocument")).toBe(true);
    expect(page.url()).not.toContain("mt_");
    await page.close();
  });
});
