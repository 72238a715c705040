import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startPartnerSite, widgetCsp, type PartnerSite } from "../helpers/partner-site.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { createKey, createPartner } from "../security/fixtures.js";

/*
 * The embeddable registration widget in Debian's Chromium, on a partner page of another
 * origin whose CSP allows only the backend's origin for scripts, connections and styles.
 */

const REGISTRATIONS = /* GraphQL */ `
  query ($eventId: ID!) {
    registrations(eventId: $eventId, first: 50) {
      totalCount
      edges { node { reference status accessibilityNeeds source { slug } attendee { firstName lastName email profession } eligibilityAnswers { met details criterion { position } } } }
    }
  }
`;

/** Records the widget's DOM events and every CSP violation, from before the page's first byte. */
const RECORDER = `
  window.widgetEvents = [];
  window.cspViolations = [];
  for (const type of ["registration:ready", "registration:submitted", "registration:error"]) {
    document.addEventListener(type, (event) => window.widgetEvents.push({ type, detail: event.detail, bubbles: event.bubbles, composed: event.composed }));
  }
  document.addEventListener("securitypolicyviolation", (event) => window.cspViolations.push(event.violatedDirective + " " + event.blockedURI + " " + event.sample), true);
`;

/** What has keyboard focus, through shadow roots: its label, else its text, plus its id. */
const FOCUSED = `(() => {
  let element = document.activeElement;
  while (element && element.shadowRoot && element.shadowRoot.activeElement) element = element.shadowRoot.activeElement;
  if (!element) return null;
  const label = element.labels && element.labels[0] ? element.labels[0].textContent : element.textContent;
  return { id: element.id, tag: element.tagName.toLowerCase(), label: (label || "").trim().replace(/\\s+/g, " ") };
})()`;

interface WidgetEvent {
  type: string;
  detail: Record<string, unknown>;
  bubbles: boolean;
  composed: boolean;
}

const THEME_CSS = `
  event-registration { --er-color-accent: rgb(0, 90, 40); }
  event-registration::part(title) { text-transform: uppercase; }
`;

describe("the registration widget on a partner page", () => {
  let server: TestServer;
  let partnerSite: PartnerSite;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let browser: BrowserContext;
  let course: TestCourse;
  let backendOrigin: string;
  let graphqlUrl: string;
  let emailCounter = 0;

  beforeAll(async () => {
    server = await startTestServer();
    backendOrigin = new URL(server.url).origin;
    graphqlUrl = server.url;
    course = await createCourse(server);
    const partnerId = await createPartner(server, "widget-partner");
    partnerSite = await startPartnerSite({ backendOrigin, themeCss: THEME_CSS });
    partnerSite.publishableKey = (await createKey(server, { kind: "PUBLISHABLE", organisationId: partnerId, allowedOrigins: [partnerSite.origin] })).key;
    chromium = await launchChromium();
    browser = chromium.browser;
  });

  afterAll(async () => {
    await chromium?.close();
    await partnerSite?.close();
    await server?.close();
  });

  interface OpenedPage {
    page: Page;
    consoleErrors: string[];
    registerRequests: Request[];
    events(): Promise<WidgetEvent[]>;
    close(): Promise<void>;
  }

  async function openWidget(event: string, options: { strict?: boolean } = {}): Promise<OpenedPage> {
    const page = await browser.newPage();
    await page.addInitScript(RECORDER);
    const consoleErrors: string[] = [];
    const registerRequests: Request[] = [];
    page.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text()));
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    page.on("request", (request) => request.method() === "POST" && request.url() === graphqlUrl && request.postData()?.includes("WidgetRegister") && registerRequests.push(request));
    const response = await page.goto(partnerSite.pageUrl(event, options), { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    const events = () => page.evaluate("window.widgetEvents") as Promise<WidgetEvent[]>;
    await expect.poll(async () => (await events()).map((e) => e.type), { timeout: 15_000 }).toContainEqual(expect.stringMatching(/^registration:(ready|error)$/));
    return { page, consoleErrors, registerRequests, events, close: () => page.close() };
  }

  async function focused(page: Page): Promise<{ id: string; tag: string; label: string }> {
    return (await page.evaluate(FOCUSED)) as { id: string; tag: string; label: string };
  }

  /** Presses Tab until the focused control's label matches (keyboard only, in document order). */
  async function tabTo(page: Page, label: RegExp): Promise<void> {
    for (let presses = 0; presses < 80; presses++) {
      await page.keyboard.press("Tab");
      if (label.test((await focused(page)).label)) return;
    }
    throw new Error(`Tab never reached a control labelled ${label}`);
  }

  function nextEmail(): string {
    emailCounter += 1;
    return `widget.${emailCounter}.${Date.now().toString(36)}@clinic.example`;
  }

  /** Fills the form as a pointer user would (the keyboard-only path has its own test). */
  async function fillForm(page: Page, values: { email: string; phone?: string; meetAll?: boolean }): Promise<void> {
    await page.getByLabel("First name").fill("Grace");
    await page.getByLabel("Last name").fill("Hopper");
    await page.getByLabel("Email address").fill(values.email);
    if (values.phone !== undefined) await page.getByLabel("Phone").fill(values.phone);
    await page.getByLabel("Profession", { exact: true }).selectOption("PSYCHIATRIST");
    const criteria = page.getByRole("checkbox", { name: "I meet this criterion" });
    const count = await criteria.count();
    for (let index = 0; index < count; index++) {
      if (values.meetAll !== false || index > 0) await criteria.nth(index).check();
    }
  }

  async function registrationsOfCourse(): Promise<any[]> {
    const { data, errors } = await server.admin(REGISTRATIONS, { eventId: course.id });
    expect(errors).toBeUndefined();
    return data.registrations.edges.map((edge: any) => edge.node);
  }

  it("shows the course under the partner's strict CSP with no violation and no console error, instead of the fallback link", async () => {
    // when
    const { page, consoleErrors, events, close } = await openWidget(course.slug);

    // then the page's policy is exactly the one partners are told to set
    const response = await page.request.get(partnerSite.pageUrl(course.slug));
    expect(response.headers()["content-security-policy"]).toBe(widgetCsp(backendOrigin));
    // and the course facts render in the event's zone with its abbreviation
    await expect.poll(() => page.getByRole("heading", { name: "MBT Basic Training", level: 2 }).isVisible()).toBe(true);
    const schedule = page.getByRole("listitem").filter({ hasText: "Day 1" });
    expect(await schedule.textContent()).toMatch(/Wednesday, October 4, 2023, 8:30\sAM\s–\s4:30\sPM PDT/);
    expect(await page.getByText("UCLA Faculty Center").first().isVisible()).toBe(true);
    expect(await page.getByText(/Americans with Disabilities Act/).isVisible()).toBe(true);
    expect(await page.locator("event-registration").getByText("$1,250.00").isVisible()).toBe(true);
    expect(await page.getByText("30 places remaining.").isVisible()).toBe(true);
    expect(await page.getByText("(required)").count()).toBe(4);
    expect(await page.getByText("(desirable)").count()).toBe(1);
    // and the widget's stylesheet applied (a blocked one would leave the button unstyled)
    const button = page.getByRole("button", { name: "Send application" });
    expect(await button.evaluate((element) => (globalThis as any).getComputedStyle(element).backgroundColor)).toBe("rgb(29, 78, 216)");
    // while the light-DOM fallback link stays in the page but is not shown
    const fallback = page.locator("event-registration > a", { hasText: "Register on our booking page" });
    expect(await fallback.count()).toBe(1);
    expect(await fallback.isVisible()).toBe(false);
    // and the host heard that it is ready, with no violation and no error
    const ready = (await events()).find((event) => event.type === "registration:ready")!;
    expect(ready).toMatchObject({ bubbles: true, composed: true, detail: { eventId: course.id, registrationOpen: true } });
    expect(await page.evaluate("window.cspViolations")).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await close();
  });

  it("takes a registration with the keyboard alone, attributed to the key's partner; registration:submitted carries only { reference, status }", async () => {
    // given
    const { page, consoleErrors, events, close } = await openWidget(course.slug);
    const email = nextEmail();

    // when the attendee tabs through the form, typing and pressing Space, and sends it with Enter
    await tabTo(page, /^First name/);
    await page.keyboard.type("Ada");
    await page.keyboard.press("Tab");
    expect((await focused(page)).label).toMatch(/^Last name/);
    await page.keyboard.type("Lovelace");
    await tabTo(page, /^Email address/);
    await page.keyboard.type(email);
    await tabTo(page, /^Profession/);
    for (let step = 0; step < 3; step++) await page.keyboard.press("ArrowDown");
    for (let criterion = 0; criterion < 5; criterion++) {
      await tabTo(page, /^I meet this criterion/);
      await page.keyboard.press("Space");
    }
    await tabTo(page, /^Accessibility needs/);
    await page.keyboard.type("Step-free seating near the door");
    await tabTo(page, /^Send me the newsletter/);
    await page.keyboard.press("Space");
    await tabTo(page, /^Send application/);
    await page.keyboard.press("Enter");

    // then the host hears of it without personal data
    await expect.poll(async () => (await events()).filter((event) => event.type === "registration:submitted").length, { timeout: 15_000 }).toBe(1);
    const submitted = (await events()).find((event) => event.type === "registration:submitted")!;
    expect(submitted.bubbles && submitted.composed).toBe(true);
    expect(Object.keys(submitted.detail).sort()).toEqual(["reference", "status"]);
    expect(submitted.detail).toEqual({ reference: expect.stringMatching(/^[A-Z]+-[A-Z0-9]{6}$/), status: "PENDING_REVIEW" });
    const everything = JSON.stringify(await events());
    for (const personal of [email, "Ada", "Lovelace", "Step-free"]) expect(everything).not.toContain(personal);
    // and the attendee sees the outcome with the reference, focused and in the live region
    const status = page.getByRole("status");
    expect(await status.textContent()).toContain("Application received");
    expect(await status.textContent()).toContain(submitted.detail.reference as string);
    expect((await focused(page)).id).toBe("outcome-title");
    // and the registration holds every answer, attributed to the partner whose key the widget used
    const stored = (await registrationsOfCourse()).find((registration) => registration.attendee.email === email);
    expect(stored).toMatchObject({
      reference: submitted.detail.reference,
      status: "PENDING_REVIEW",
      accessibilityNeeds: "Step-free seating near the door",
      source: { slug: "widget-partner" },
      attendee: { firstName: "Ada", lastName: "Lovelace", profession: "CLINICAL_PSYCHOLOGIST" },
    });
    expect(stored.eligibilityAnswers.map((answer: any) => answer.met)).toEqual([true, true, true, true, true]);
    // and nothing was kept in the browser: no cookie for either origin, no storage
    expect(await browser.cookies()).toEqual([]);
    expect(await page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")).toEqual([0, 0, ""]);
    expect(await page.evaluate("window.cspViolations")).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await close();
  });

  it("registers once when the button is clicked twice or the form is sent twice at once", async () => {
    for (const doubleSubmit of ["double click", "two requestSubmit calls"] as const) {
      // given
      const { page, registerRequests, events, close } = await openWidget(course.slug);
      const email = nextEmail();
      await fillForm(page, { email });

      // when
      if (doubleSubmit === "double click") await page.getByRole("button", { name: "Send application" }).dblclick();
      else await page.locator("event-registration").evaluate((host) => { const form = (host as any).shadowRoot.querySelector("form"); form.requestSubmit(); form.requestSubmit(); });

      // then
      await expect.poll(async () => (await events()).filter((event) => event.type === "registration:submitted").length, { timeout: 15_000 }).toBe(1);
      expect(registerRequests.length, doubleSubmit).toBe(1);
      const stored = (await registrationsOfCourse()).filter((registration) => registration.attendee.email === email);
      expect(stored.length, doubleSubmit).toBe(1);
      await close();
    }
  });

  it("retries a submission whose answer was lost with the same idempotency key, and registers once", async () => {
    // given a network that loses the answer to the first register (after the server got it)
    const { page, registerRequests, events, consoleErrors, close } = await openWidget(course.slug);
    const email = nextEmail();
    await fillForm(page, { email });
    let lost = 0;
    await page.route(graphqlUrl, async (route) => {
      if (route.request().method() === "POST" && route.request().postData()?.includes("WidgetRegister") && lost === 0) {
        lost += 1;
        await route.fetch();
        return route.abort("failed");
      }
      return route.continue();
    });

    // when the attendee sends the form, is told to try again, and does
    await page.getByRole("button", { name: "Send application" }).click();
    await expect.poll(() => page.getByText("We could not reach the registration service").isVisible(), { timeout: 15_000 }).toBe(true);
    expect((await focused(page)).id).toBe("error-summary");
    expect((await registrationsOfCourse()).filter((registration) => registration.attendee.email === email).length).toBe(1);
    await page.getByRole("button", { name: "Send application" }).click();

    // then the second answer is the first registration, and there is still one
    await expect.poll(async () => (await events()).filter((event) => event.type === "registration:submitted").length, { timeout: 15_000 }).toBe(1);
    const keys = registerRequests.map((request) => JSON.parse(request.postData()!).variables.input.idempotencyKey);
    expect(keys.length).toBe(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    const stored = (await registrationsOfCourse()).filter((registration) => registration.attendee.email === email);
    expect(stored.length).toBe(1);
    const submitted = (await events()).find((event) => event.type === "registration:submitted")!;
    expect(submitted.detail.reference).toBe(stored[0].reference);
    expect((await events()).filter((event) => event.type === "registration:error").map((event) => event.detail)).toEqual([{ code: "NETWORK" }]);
    // the lost request is the only console error (Chromium logs the failed fetch)
    expect(consoleErrors.every((message) => /Failed to load resource|ERR_FAILED/.test(message))).toBe(true);
    await close();
  });

  it("shows each error next to its field and in a summary that takes focus: an invalid email, then the server's userErrors", async () => {
    // given
    const { page, events, close } = await openWidget(course.slug);
    const before = (await registrationsOfCourse()).length;
    await fillForm(page, { email: "ada@", phone: "not a phone", meetAll: false });

    // when the email is not an address
    await page.getByRole("button", { name: "Send application" }).click();

    // then its error is next to it, tied to it, and the summary has focus and links to it
    const email = page.getByLabel("Email address");
    await expect.poll(() => email.getAttribute("aria-invalid")).toBe("true");
    const emailError = page.locator("#field-attendee-email-error");
    expect(await emailError.textContent()).toBe("Error: Enter an email address in the correct format, like name@example.com.");
    expect((await email.getAttribute("aria-describedby"))!.split(" ")).toContain("field-attendee-email-error");
    const summary = page.getByRole("group", { name: "There is a problem" });
    expect((await focused(page)).id).toBe("error-summary");
    // and the summary's link takes the keyboard to the field
    await page.keyboard.press("Tab");
    expect((await focused(page)).label).toBe("Enter an email address in the correct format, like name@example.com.");
    await page.keyboard.press("Enter");
    expect((await focused(page)).id).toBe("field-attendee-email");
    expect(await page.evaluate("window.widgetEvents.filter((e) => e.type === 'registration:error').map((e) => e.detail)")).toEqual([{ code: "INVALID" }]);

    // when the email is fixed but the phone is not a number and a required criterion is not met
    await email.fill(nextEmail());
    await page.getByRole("button", { name: "Send application" }).click();

    // then the server's userErrors are shown next to those fields, in the attendee's words
    const phone = page.getByLabel("Phone");
    await expect.poll(() => phone.getAttribute("aria-invalid"), { timeout: 15_000 }).toBe("true");
    expect(await page.locator("#field-attendee-phone-error").textContent()).toMatch(/^Error: Phone is not a valid phone number/);
    expect(await email.getAttribute("aria-invalid")).toBeNull();
    const firstCriterion = page.getByRole("checkbox", { name: "I meet this criterion" }).first();
    expect(await firstCriterion.getAttribute("aria-invalid")).toBe("true");
    const criterionErrorId = (await firstCriterion.getAttribute("aria-describedby"))!.split(" ").find((id) => id.endsWith("-error"))!;
    expect(await page.locator(`#${criterionErrorId}`).textContent()).toMatch(/^Error: Criterion 1 is required/);
    expect(await summary.getByRole("link").count()).toBe(2);
    expect((await focused(page)).id).toBe("error-summary");
    const errors = (await events()).filter((event) => event.type === "registration:error").map((event) => event.detail);
    expect(errors[1]).toEqual({ code: expect.stringMatching(/^(INVALID|NOT_ELIGIBLE)$/) });
    // and nothing was stored
    expect((await registrationsOfCourse()).length).toBe(before);
    await close();
  });

  it("offers the waitlist when the course is full and shows the place in the queue", async () => {
    // given a course whose only seat is taken
    const full = await createCourse(server, { capacity: 1, requiresReview: false });
    const taken = await server.gql(REGISTER, { input: registrationInput(full) });
    expect(taken.data.register.registration.status).toBe("AWAITING_PAYMENT");
    const { page, events, close } = await openWidget(full.slug);
    expect(await page.getByText("The course is full: you can join the waitlist.").isVisible()).toBe(true);
    expect(await page.getByRole("checkbox", { name: "Put me on the waitlist (the course is full)" }).isChecked()).toBe(true);

    // when
    await fillForm(page, { email: nextEmail() });
    await page.getByRole("button", { name: "Join the waitlist" }).click();

    // then
    await expect.poll(async () => (await events()).filter((event) => event.type === "registration:submitted").length, { timeout: 15_000 }).toBe(1);
    expect((await events()).find((event) => event.type === "registration:submitted")!.detail).toMatchObject({ status: "WAITLISTED" });
    const status = page.getByRole("status");
    expect(await status.textContent()).toContain("You are on the waitlist");
    expect(await status.textContent()).toContain("Your position on the waitlist is 1.");
    await close();
  });

  it("shows the awaiting-payment outcome with the partner's payment link for the new reference and the payment instructions", async () => {
    // given a priced course with no review whose booking partner takes the payment on its own site
    const template = "https://pay.partner-p.example/checkout?ref={reference}&course=mbt";
    const instructions = "Pay by card on our checkout page within 7 days; quote your reference.";
    const paid = await createCourse(server, { requiresReview: false, paymentUrlTemplate: template, paymentInstructions: instructions });
    const { page, events, consoleErrors, close } = await openWidget(paid.slug);

    // when
    expect(await page.getByRole("heading", { name: "Book a place" }).isVisible()).toBe(true);
    await fillForm(page, { email: nextEmail() });
    await page.getByRole("button", { name: "Book my place" }).click();

    // then the place is held, and the outcome links to the payment page of this reference
    await expect.poll(async () => (await events()).filter((event) => event.type === "registration:submitted").length, { timeout: 15_000 }).toBe(1);
    const submitted = (await events()).find((event) => event.type === "registration:submitted")!;
    expect(submitted.detail).toEqual({ reference: expect.stringMatching(/^[A-Z]+-[A-Z0-9]{6}$/), status: "AWAITING_PAYMENT" });
    const reference = submitted.detail.reference as string;
    const status = page.getByRole("status");
    expect(await status.textContent()).toContain("Place held: awaiting payment");
    expect(await status.textContent()).toContain(reference);
    const link = status.getByRole("link", { name: /Pay for your place/ });
    expect(await link.count()).toBe(1);
    expect(await link.getAttribute("href")).toBe(template.replace("{reference}", reference));
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(await status.getByText(instructions).isVisible()).toBe(true);
    // and the link is the one the API gives the registration
    const stored = await server.admin(`query ($eventId: ID!) { registrations(eventId: $eventId, first: 5) { edges { node { reference status paymentUrl } } } }`, { eventId: paid.id });
    expect(stored.data.registrations.edges.map((edge: any) => edge.node)).toEqual([{ reference, status: "AWAITING_PAYMENT", paymentUrl: template.replace("{reference}", reference) }]);
    expect(await page.evaluate("window.cspViolations")).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await close();
  });

  it("shows the fallback link and tells the host when the course cannot be found", async () => {
    // when
    const { page, events, close } = await openWidget("no-such-course");

    // then
    expect((await events()).map((event) => event.type)).toEqual(["registration:error"]);
    expect((await events())[0]!.detail).toEqual({ code: "NOT_FOUND" });
    expect(await page.getByText("This course could not be found.").isVisible()).toBe(true);
    expect(await page.getByRole("link", { name: "Register on our booking page" }).isVisible()).toBe(true);
    expect(await page.evaluate("window.cspViolations")).toEqual([]);
    await close();
  });

  it("does not work on a site its key is not for: the browser's CORS check refuses, and the fallback link shows", async () => {
    // given another site using the first partner's key
    const otherSite = await startPartnerSite({ backendOrigin });
    otherSite.publishableKey = partnerSite.publishableKey;
    const page = await browser.newPage();
    await page.addInitScript(RECORDER);
    const requests: string[] = [];
    page.on("request", (request) => request.url() === graphqlUrl && requests.push(request.method()));
    const consoleErrors: string[] = [];
    page.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text()));

    // when
    await page.goto(otherSite.pageUrl(course.slug), { waitUntil: "load" });

    // then the server gave that origin no CORS permission, so the page cannot read any answer
    await expect.poll(() => page.evaluate("window.widgetEvents.map((e) => e.detail)"), { timeout: 15_000 }).toEqual([{ code: "NETWORK" }]);
    expect(await page.getByText("The course could not be loaded. Please try again later.").isVisible()).toBe(true);
    expect(await page.getByRole("link", { name: "Register on our booking page" }).isVisible()).toBe(true);
    expect(await page.getByRole("heading", { name: "MBT Basic Training" }).count()).toBe(0);
    expect(requests.length).toBeGreaterThanOrEqual(1);
    expect(consoleErrors.join("\n")).toContain(`from origin '${otherSite.origin}' has been blocked by CORS policy`);
    await page.close();
    await otherSite.close();
  });

  it("passes axe's WCAG 2.2 AA checks, with and without errors, and takes the partner's theme (custom properties, ::part)", async () => {
    // given the page without a CSP, so that axe can be injected (and the event given by id rather than slug)
    const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
    const { page, close } = await openWidget(course.id, { strict: false });
    await page.addScriptTag({ content: axeSource });
    const audit = async () =>
      (await page.evaluate(`axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } })
        .then((result) => result.violations.map((violation) => violation.id + ": " + violation.nodes.map((node) => node.target.join(" ")).join(", ")))`)) as string[];

    // then
    expect(await audit()).toEqual([]);
    await page.getByRole("button", { name: "Send application" }).click();
    await expect.poll(() => page.getByRole("group", { name: "There is a problem" }).isVisible()).toBe(true);
    expect(await audit()).toEqual([]);
    // and the partner's theme reaches inside
    const button = page.getByRole("button", { name: "Send application" });
    expect(await button.evaluate((element) => (globalThis as any).getComputedStyle(element).backgroundColor)).toBe("rgb(0, 90, 40)");
    const title = page.getByRole("heading", { name: "MBT Basic Training", level: 2 });
    expect(await title.evaluate((element) => (globalThis as any).getComputedStyle(element).textTransform)).toBe("uppercase");
    await close();
  });
});
