import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const APPROVE = /* GraphQL */ `
  mutation ($id: ID!) { reviewRegistration(input: { registrationId: $id, decision: APPROVE }) { userErrors { code } } }
`;
const PAY = /* GraphQL */ `
  mutation ($id: ID!, $amount: Int!) { recordPayment(input: { registrationId: $id, amountMinor: $amount, currency: "USD", method: "card" }) { userErrors { code } } }
`;

const template = "https://pay.booking-partner.example/checkout?ref={reference}";
const instructions = "Pay by card on our site; quote your reference on bank transfers.";

describe("the manage page while money is due", () => {
  let server: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: BrowserContext;
  let course: TestCourse;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    chromium = await launchChromium();
    browser = chromium.browser;
    course = await createCourse(server, { paymentUrlTemplate: template, paymentInstructions: instructions });
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  it("links the booking partner's payment page and its instructions, and no longer once paid in full", async () => {
    // given an approved registration with nothing paid
    const { data } = await server.gql(REGISTER, { input: registrationInput(course) });
    const { id, reference } = data.register.registration;
    await server.admin(APPROVE, { id });
    const page = await browser.newPage();

    // when the registrant opens the manage link
    await page.goto(`${new URL(server.url).origin}/manage#${data.register.manageToken}`);

    // then the payment link carries the reference, with the instructions
    const link = page.getByRole("link", { name: `Pay online (reference ${reference})` });
    await link.waitFor();
    expect(await link.getAttribute("href")).toBe(template.replace("{reference}", encodeURIComponent(reference)));
    expect(await page.textContent("main")).toContain(instructions);

    // when it is paid in full and the page is opened again
    await server.admin(PAY, { id, amount: 125000 });
    // (the page takes the token out of the address bar, so the link is opened afresh)
    const again = await browser.newPage();
    await again.goto(`${new URL(server.url).origin}/manage#${data.register.manageToken}`);
    await again.getByText("Paid $1,250.00 of $1,250.00.").waitFor();

    // then no payment link is shown
    expect(await again.getByRole("link", { name: /Pay online/ }).count()).toBe(0);
    expect(await again.textContent("main")).not.toContain(instructions);
    await page.close();
    await again.close();
  });

  it("shows the instructions of a course without a payment page (a bank transfer) while money is due, and no longer once paid in full", async () => {
    // given an approved registration on a course with instructions and no payment URL template
    const bankTransfer = "Pay by bank transfer to IBAN DE89 3704 0044 0532 0130 00, quoting your reference.";
    const transferCourse = await createCourse(server, { paymentInstructions: bankTransfer });
    const { data } = await server.gql(REGISTER, { input: registrationInput(transferCourse) });
    const { id } = data.register.registration;
    await server.admin(APPROVE, { id });
    const page = await browser.newPage();

    // when the registrant opens the manage link
    await page.goto(`${new URL(server.url).origin}/manage#${data.register.manageToken}`);

    // then the instructions are shown, with no payment link
    await page.getByText(bankTransfer).waitFor();
    expect(await page.getByRole("link", { name: /Pay online/ }).count()).toBe(0);

    // when it is paid in full and the page is opened again
    await server.admin(PAY, { id, amount: 125000 });
    const again = await browser.newPage();
    await again.goto(`${new URL(server.url).origin}/manage#${data.register.manageToken}`);
    await again.getByText("Paid $1,250.00 of $1,250.00.").waitFor();

    // then the instructions are gone
    expect(await again.textContent("main")).not.toContain(bankTransfer);
    await page.close();
    await again.close();
  });
});
