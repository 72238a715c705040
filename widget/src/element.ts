/*
 * <event-registration event="SLUG-OR-ID" publishable-key="pk_…">: shows a course and
 * takes an application for it, inside a shadow root. The element's light-DOM content
 * (a link to the partner's booking page) is what a browser without JavaScript shows;
 * once this runs, the shadow root replaces it (and shows it again if the course cannot
 * be loaded, through a <slot>).
 *
 * It tells the host page what happened with DOM events that bubble out of the shadow
 * root and carry no personal data: registration:ready, registration:submitted
 * { reference, status }, registration:error { code }.
 */
import { renderCourseFacts } from "./course-facts.js";
import { h } from "./dom.js";
import { endpointFor, GraphqlClient, type GraphqlError } from "./graphql-client.js";
import { newIdempotencyKey } from "./idempotency-key.js";
import { eventLookup, REGISTER, type RegisterResult, type WidgetEvent } from "./operations.js";
import { renderOutcome } from "./outcome.js";
import { RegistrationForm, type FieldProblem, type RegisterInputValue } from "./registration-form.js";
import { css } from "./styles.js";

let sheet: CSSStyleSheet | undefined;
function styleSheet(): CSSStyleSheet {
  sheet ??= new CSSStyleSheet();
  if (sheet.cssRules.length === 0) sheet.replaceSync(css);
  return sheet;
}

/** Codes of registration:error besides the API's UserErrorCode values. */
type WidgetErrorCode = "CONFIGURATION" | "NOT_FOUND" | "FORBIDDEN" | "UNAUTHENTICATED" | "NETWORK" | "INVALID" | "UNEXPECTED" | string;

export class EventRegistrationElement extends HTMLElement {
  static observedAttributes = ["event", "publishable-key"];

  private readonly root: ShadowRoot;
  /** The live region: loading, failures and the outcome are announced from here. */
  private readonly status: HTMLElement;
  private readonly content: HTMLElement;
  private generation = 0;
  private form: RegistrationForm | null = null;
  private event: WidgetEvent | null = null;
  private client: GraphqlClient | null = null;
  private inFlight = false;
  private started = false;
  /** One per submission: kept while the same submission is retried after a network failure, so it can never register twice. */
  private idempotencyKey: string | null = null;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: "open" });
    this.root.adoptedStyleSheets = [styleSheet()];
    this.status = h("div", { role: "status", "aria-live": "polite", part: "status", class: "status" });
    this.content = h("div", { part: "container", class: "container" });
    this.root.append(this.content, this.status);
  }

  connectedCallback(): void {
    this.started = true;
    void this.load();
  }

  disconnectedCallback(): void {
    // Answers still on their way belong to a widget that is gone.
    this.started = false;
    this.generation++;
  }

  /** An upgrade reports every attribute before connectedCallback: only later changes reload. */
  attributeChangedCallback(_name: string, previous: string | null, next: string | null): void {
    if (this.started && previous !== next) void this.load();
  }

  private get headingLevel(): number {
    const level = Number(this.getAttribute("heading-level") ?? 2);
    return Number.isInteger(level) && level >= 1 && level <= 5 ? level : 2;
  }

  /** The form, the error summary and the outcome sit under the course's title. */
  private get subheadingLevel(): number {
    return this.headingLevel + 1;
  }

  private get locale(): string {
    const lang = this.closest("[lang]")?.getAttribute("lang") ?? "";
    return /^en\b/i.test(lang) ? lang : "en-US";
  }

  private emit(type: "registration:ready" | "registration:submitted" | "registration:error", detail: Record<string, unknown>): void {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true, detail }));
  }

  private async load(): Promise<void> {
    const generation = ++this.generation;
    const eventRef = this.getAttribute("event")?.trim();
    const key = this.getAttribute("publishable-key")?.trim();
    this.form = null;
    this.event = null;
    this.idempotencyKey = null;
    this.status.replaceChildren();
    if (!eventRef || !key) return this.fail("CONFIGURATION", "This registration form is not set up correctly (it needs the event and publishable-key attributes).");
    this.client = new GraphqlClient(endpointFor(import.meta.url), key);
    this.content.replaceChildren(h("p", { class: "hint", part: "hint" }, "Loading the course…"));
    const lookup = eventLookup(eventRef);
    const outcome = await this.client.request<{ event: WidgetEvent | null }>(lookup.query, lookup.variables);
    if (generation !== this.generation) return;
    if (outcome.kind === "unreachable") return this.fail("NETWORK", "The course could not be loaded. Please try again later.");
    const code = outcome.errors[0]?.extensions?.code;
    if (code === "FORBIDDEN" || code === "UNAUTHENTICATED") return this.fail(code, "This registration form is not allowed on this site.");
    if (outcome.errors.length || !outcome.data) return this.fail("UNEXPECTED", "The course could not be loaded. Please try again later.");
    if (!outcome.data.event) return this.fail("NOT_FOUND", "This course could not be found.");
    this.show(outcome.data.event);
  }

  /** The message, and the light-DOM fallback link shown again through a slot. */
  private fail(code: WidgetErrorCode, message: string): void {
    this.content.replaceChildren(h("p", { class: "notice", part: "notice" }, message), h("slot"));
    this.emit("registration:error", { code });
  }

  private show(event: WidgetEvent): void {
    this.event = event;
    const facts = renderCourseFacts(event, this.locale, this.headingLevel);
    if (!event.registrationOpen) {
      this.content.replaceChildren(facts, h("p", { class: "notice", part: "notice" }, "Registration is closed for this course."));
    } else if (event.seatsRemaining === 0 && !event.waitlistEnabled) {
      this.content.replaceChildren(facts, h("p", { class: "notice", part: "notice" }, "This course is full."));
    } else {
      const form = new RegistrationForm(event, this.subheadingLevel);
      form.element.addEventListener("submit", (submit) => {
        submit.preventDefault();
        void this.submit();
      });
      this.form = form;
      this.content.replaceChildren(facts, form.element);
    }
    this.emit("registration:ready", { eventId: event.id, registrationOpen: event.registrationOpen });
  }

  private async submit(): Promise<void> {
    const form = this.form;
    const event = this.event;
    const client = this.client;
    // The button is disabled while a request is in flight; this also stops Enter in a field and scripted double submits.
    if (!form || !event || !client || this.inFlight) return;
    const local = form.problemsBeforeSending();
    if (local.length) {
      form.showProblems(local);
      return this.emit("registration:error", { code: "INVALID" });
    }
    const input: RegisterInputValue = form.read();
    this.idempotencyKey ??= newIdempotencyKey();
    const generation = this.generation;
    this.inFlight = true;
    form.setBusy(true);
    this.status.textContent = "Sending your application…";
    let outcome;
    try {
      outcome = await client.request<RegisterResult>(REGISTER, { input: { ...input, idempotencyKey: this.idempotencyKey } });
    } finally {
      this.inFlight = false;
      form.setBusy(false);
    }
    if (generation !== this.generation) return;
    this.status.textContent = "";

    if (outcome.kind === "unreachable") {
      // The same key goes with the retry: if this attempt did arrive, the retry returns its result.
      form.showProblems([{ key: null, message: "We could not reach the registration service. Your answers are kept: please send the form again." }]);
      return this.emit("registration:error", { code: "NETWORK" });
    }
    const payload = outcome.data?.register;
    if (!payload) return this.graphqlFailure(form, input, outcome.errors);
    // A definite answer: the next submission is a new one.
    this.idempotencyKey = null;
    if (payload.userErrors.length) {
      const problems: FieldProblem[] = payload.userErrors.map((error) => {
        const key = form.keyForPath(error.field, input);
        if (error.code === "IDEMPOTENCY_CONFLICT") {
          return { key: null, message: "An earlier attempt of this form was received with other answers. Check your email before sending it again." };
        }
        return { key, message: form.messageFor(error, key) };
      });
      form.showProblems(problems);
      return this.emit("registration:error", { code: payload.userErrors[0]!.code });
    }
    const registration = payload.registration!;
    const outcomeView = renderOutcome(registration, event, this.subheadingLevel);
    this.form = null;
    this.content.replaceChildren(renderCourseFacts(event, this.locale, this.headingLevel));
    this.status.replaceChildren(outcomeView);
    outcomeView.querySelector<HTMLElement>("#outcome-title")?.focus();
    this.emit("registration:submitted", { reference: registration.reference, status: registration.status });
  }

  /** GraphQL errors instead of a payload: input the schema refused, a wrong key, or a server fault. */
  private graphqlFailure(form: RegistrationForm, input: RegisterInputValue, errors: GraphqlError[]): void {
    const code = errors[0]?.extensions?.code ?? "UNEXPECTED";
    if (code === "BAD_USER_INPUT") {
      // Nothing was stored: the next try is a new submission.
      this.idempotencyKey = null;
      const problems = errors.map((error): FieldProblem => {
        const path = /at "input\.([\w.]+)"/.exec(error.message)?.[1]?.split(".") ?? null;
        const key = form.keyForPath(path, input);
        return { key, message: key ? "Check this answer: it is not in a form we can accept." : "Some answers are not in a form we can accept." };
      });
      form.showProblems(problems);
      return this.emit("registration:error", { code: "INVALID" });
    }
    const message = code === "FORBIDDEN" || code === "UNAUTHENTICATED" ? "This registration form is not allowed on this site." : "Something went wrong on our side. Your answers are kept: please try again in a moment.";
    form.showProblems([{ key: null, message }]);
    this.emit("registration:error", { code });
  }
}
