import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
    expect(await page.textContent("main")).toContain("2023-10-04 08:30 – 16:30 PDT");
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
    await page.close();
  });

  it("/newsletter/confirm confirms the subscription from the emailed link", async () => {
    await server.gql(`mutation { subscribeToNewsletter(input: { email: "joan@clinic.example", consent: true }) { ok } }`);
    const confirmToken = await emailedToken(server, "joan@clinic.example", "NEWSLETTER_CONFIRM", "newsletter/confirm");
    const page = await browser.newPage();
    await page.goto(`${origin()}/newsletter/confirm#${confirmToken}`);
    await expect.poll(() => page.textContent("#status")).toContain("your subscription is confirmed");
    const count = server.app.deps.db.$client.prepare("SELECT count(*) AS n FROM newsletter_subscriptions WHERE status = 'CONFIRMED'").get() as { n: number };
    expect(count.n).toBe(1);
    await page.close();
  });
});
