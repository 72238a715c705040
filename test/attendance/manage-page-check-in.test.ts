import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { createCourse, REGISTER, registrationInput } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/* The manage page shows a confirmed registrant their check-in code and its QR code, in a real browser. */

describe("the manage page's check-in code", () => {
  let server: TestServer;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  it("shows the code and its QR image to the registrant; the image is refused to anyone else", async () => {
    // given a free course without review: the registration is CONFIRMED at once
    const course = await createCourse(server, { requiresReview: false, priceMinor: 0 });
    const { data } = await server.gql(REGISTER, { input: registrationInput(course) });
    const { id } = data.register.registration;
    const token = data.register.manageToken as string;
    const code = (await server.admin(`query ($id: ID) { registration(id: $id) { checkInCode } }`, { id })).data.registration.checkInCode as string;
    const origin = new URL(server.url).origin;
    const page = await chromium.browser.newPage();
    const blocked: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });

    // when
    await page.goto(`${origin}/manage#${token}`);
    const image = page.getByRole("img", { name: `QR code of your check-in code ${code}` });
    await image.waitFor();

    // then
    expect(await page.getByTestId("check-in").innerText()).toContain(`Code: ${code}`);
    expect(await image.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth > 0)).toBe(true);
    expect(blocked).toEqual([]);
    const svgFor = (bearer?: string) => fetch(`${origin}/registrations/${id}/check-in-qr.svg`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
    const [own, admin, anonymous] = await Promise.all([svgFor(token), svgFor(server.adminKey), svgFor()]);
    expect([own.status, admin.status, anonymous.status]).toEqual([200, 200, 401]);
    expect(own.headers.get("content-type")).toContain("image/svg+xml");
    await page.close();
  });
});
