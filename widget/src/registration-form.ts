/*
 * The application form: every control labelled, groups in fieldsets with legends, hints
 * and errors tied to their control with aria-describedby, and an error summary that
 * takes focus and links to each field (the GOV.UK pattern, WCAG 2.2 AA).
 */
import { append, h } from "./dom.js";
import { professions, type UserError, type WidgetEvent } from "./operations.js";

export interface RegisterInputValue {
  eventId: string;
  attendee: {
    firstName: string;
    lastName: string;
    email: string;
    phone: string | null;
    profession: string;
    professionOther: string | null;
    employer: string | null;
    jobTitle: string | null;
  };
  eligibilityAnswers: { criterionId: string; met: boolean; details: string | null }[];
  accessibilityNeeds: string | null;
  joinWaitlist: boolean;
  subscribeToNewsletter: boolean;
}

/** A problem to show: next to its control when `key` names one, in the summary always. */
export interface FieldProblem {
  key: string | null;
  message: string;
}

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

interface Field {
  control: Control;
  label: string;
  error: HTMLElement;
  describedBy: string[];
}

export class RegistrationForm {
  readonly element: HTMLFormElement;
  readonly submitButton: HTMLButtonElement;
  private readonly fields = new Map<string, Field>();
  private readonly summary: HTMLElement;
  private readonly summaryList: HTMLUListElement;

  constructor(private readonly event: WidgetEvent, headingLevel: number) {
    const heading = `h${headingLevel}` as "h2";
    this.summaryList = h("ul", {});
    this.summary = h(
      "div",
      { id: "error-summary", part: "error-summary", class: "error-summary", role: "group", "aria-labelledby": "error-summary-title", tabindex: -1, hidden: true },
      h(heading, { id: "error-summary-title", class: "error-summary-title" }, "There is a problem"),
      this.summaryList,
    );
    this.submitButton = h("button", { type: "submit", part: "button", class: "button" }, submitLabel(event));
    this.element = h("form", { part: "form", class: "form", novalidate: true, "aria-labelledby": "form-title" });
    append(
      this.element,
      h(heading, { id: "form-title" }, event.requiresReview ? "Apply for a place" : "Book a place"),
      this.summary,
      h("p", { class: "hint", part: "hint" }, "All questions are required unless marked (optional)."),
      this.detailsFieldset(),
      this.eligibilityFieldset(),
      this.preferencesFieldset(),
      this.submitButton,
    );
  }

  /* ------------------------------------------------------------ building */

  private detailsFieldset(): HTMLFieldSetElement {
    const profession = this.select("attendee.profession", "Profession", [["", "Choose your profession"], ...professions]);
    const other = this.textField("attendee.professionOther", "Your profession", { autocomplete: "off" });
    other.hidden = true;
    profession.control.addEventListener("change", () => {
      other.hidden = profession.control.value !== "OTHER";
    });
    return h(
      "fieldset",
      { part: "fieldset" },
      h("legend", { part: "legend" }, "Your details"),
      this.textField("attendee.firstName", "First name", { autocomplete: "given-name" }),
      this.textField("attendee.lastName", "Last name", { autocomplete: "family-name" }),
      this.textField("attendee.email", "Email address", { type: "email", autocomplete: "email", hint: "We send your confirmation here.", spellcheck: "false" }),
      this.textField("attendee.phone", "Phone", { type: "tel", autocomplete: "tel", optional: true, hint: "International format, e.g. +1 310 555 0100." }),
      profession.wrapper,
      other,
      this.textField("attendee.employer", "Employer", { autocomplete: "organization", optional: true }),
      this.textField("attendee.jobTitle", "Job title", { autocomplete: "organization-title", optional: true }),
    );
  }

  private eligibilityFieldset(): HTMLFieldSetElement | null {
    const criteria = this.event.eligibilityCriteria;
    if (criteria.length === 0) return null;
    return h(
      "fieldset",
      { part: "fieldset" },
      h("legend", { part: "legend" }, "Eligibility"),
      h("p", { class: "hint", part: "hint" }, "Required criteria must be met to take part; desirable ones are not needed, but tell us about them."),
      ...criteria.map((criterion) => {
        const kind = criterion.required ? "required" : "desirable";
        const textId = `criterion-${criterion.position}-text`;
        return h(
          "fieldset",
          { part: "fieldset criterion", class: `criterion criterion-${kind}` },
          h("legend", { part: "legend" }, `Criterion ${criterion.position} `, h("span", { part: `badge badge-${kind}`, class: `badge badge-${kind}` }, `(${kind})`)),
          h("p", { id: textId, class: "criterion-text" }, criterion.text),
          this.checkbox(`eligibility.${criterion.id}.met`, "I meet this criterion", { describedBy: [textId] }),
          this.textField(`eligibility.${criterion.id}.details`, "Details", { multiline: true, optional: true, hint: "For example the qualification, course or experience." }),
        );
      }),
    );
  }

  private preferencesFieldset(): HTMLFieldSetElement {
    const full = this.event.seatsRemaining === 0;
    return h(
      "fieldset",
      { part: "fieldset" },
      h("legend", { part: "legend" }, "Access and updates"),
      this.textField("accessibilityNeeds", "Accessibility needs", {
        multiline: true,
        optional: true,
        hint: "Anything we should arrange so that you can take part, e.g. step-free seating or a sign language interpreter.",
      }),
      this.event.waitlistEnabled
        ? this.checkbox("joinWaitlist", full ? "Put me on the waitlist (the course is full)" : "If the course is full when I apply, put me on the waitlist", { checked: true })
        : null,
      this.checkbox("subscribeToNewsletter", "Send me the newsletter", { hint: "We email you a link to confirm first." }),
    );
  }

  private register(key: string, control: Control, label: string, error: HTMLElement, describedBy: string[]): void {
    control.setAttribute("aria-describedby", describedBy.join(" "));
    if (!describedBy.length) control.removeAttribute("aria-describedby");
    this.fields.set(key, { control, label, error, describedBy });
  }

  private textField(key: string, label: string, options: { type?: string; autocomplete?: string; hint?: string; optional?: boolean; multiline?: boolean; spellcheck?: string } = {}): HTMLElement {
    const id = idFor(key);
    const hint = options.hint ? h("p", { id: `${id}-hint`, class: "hint", part: "hint" }, options.hint) : null;
    const error = h("p", { id: `${id}-error`, class: "field-error", part: "field-error", hidden: true });
    const attributes = { id, name: key, part: options.multiline ? "textarea" : "input", autocomplete: options.autocomplete, required: !options.optional, spellcheck: options.spellcheck };
    const control = options.multiline ? h("textarea", { ...attributes, rows: 3 }) : h("input", { ...attributes, type: options.type ?? "text" });
    this.register(key, control, label, error, hint ? [hint.id] : []);
    return h("div", { class: "field", part: "field" }, h("label", { for: id, part: "label" }, label, options.optional ? h("span", { class: "optional" }, " (optional)") : null), hint, control, error);
  }

  private select(key: string, label: string, options: [string, string][]): { wrapper: HTMLElement; control: HTMLSelectElement } {
    const id = idFor(key);
    const error = h("p", { id: `${id}-error`, class: "field-error", part: "field-error", hidden: true });
    const control = h("select", { id, name: key, part: "select", required: true }, ...options.map(([value, text]) => h("option", { value }, text)));
    this.register(key, control, label, error, []);
    return { wrapper: h("div", { class: "field", part: "field" }, h("label", { for: id, part: "label" }, label), control, error), control };
  }

  private checkbox(key: string, label: string, options: { checked?: boolean; hint?: string; describedBy?: string[] } = {}): HTMLElement {
    const id = idFor(key);
    const hint = options.hint ? h("p", { id: `${id}-hint`, class: "hint", part: "hint" }, options.hint) : null;
    const error = h("p", { id: `${id}-error`, class: "field-error", part: "field-error", hidden: true });
    const control = h("input", { type: "checkbox", id, name: key, part: "checkbox", checked: options.checked });
    this.register(key, control, label, error, [...(options.describedBy ?? []), ...(hint ? [hint.id] : [])]);
    return h("div", { class: "field checkbox-field", part: "field" }, h("div", { class: "checkbox-row" }, control, h("label", { for: id, part: "label" }, label)), hint, error);
  }

  /* ------------------------------------------------------------ reading */

  private value(key: string): string {
    return this.fields.get(key)?.control.value ?? "";
  }

  private checked(key: string): boolean {
    const control = this.fields.get(key)?.control;
    return control instanceof HTMLInputElement && control.checked;
  }

  read(): RegisterInputValue {
    const optional = (key: string) => (this.value(key).trim() === "" ? null : this.value(key));
    const profession = this.value("attendee.profession");
    return {
      eventId: this.event.id,
      attendee: {
        firstName: this.value("attendee.firstName"),
        lastName: this.value("attendee.lastName"),
        email: this.value("attendee.email").trim(),
        phone: optional("attendee.phone"),
        profession,
        professionOther: profession === "OTHER" ? this.value("attendee.professionOther") : null,
        employer: optional("attendee.employer"),
        jobTitle: optional("attendee.jobTitle"),
      },
      eligibilityAnswers: this.event.eligibilityCriteria.map((criterion) => ({
        criterionId: criterion.id,
        met: this.checked(`eligibility.${criterion.id}.met`),
        details: optional(`eligibility.${criterion.id}.details`),
      })),
      accessibilityNeeds: optional("accessibilityNeeds"),
      joinWaitlist: this.event.waitlistEnabled && this.checked("joinWaitlist"),
      subscribeToNewsletter: this.checked("subscribeToNewsletter"),
    };
  }

  /**
   * What the server would refuse as a GraphQL input error rather than a userError (the
   * EmailAddress scalar, the Profession enum): checked here so it gets the same message
   * next to its field. Everything else is the server's to decide.
   */
  problemsBeforeSending(): FieldProblem[] {
    const problems: FieldProblem[] = [];
    const email = this.fields.get("attendee.email")!.control as HTMLInputElement;
    // An <input type=email>'s typeMismatch is the HTML standard's address syntax, which the server's EmailAddress scalar also uses.
    if (email.value.trim() === "") problems.push({ key: "attendee.email", message: "Enter your email address." });
    else if (email.validity.typeMismatch) problems.push({ key: "attendee.email", message: "Enter an email address in the correct format, like name@example.com." });
    if (this.value("attendee.profession") === "") problems.push({ key: "attendee.profession", message: "Choose your profession." });
    return problems;
  }

  /** The form's control for a userError's field path, e.g. ["input", "attendee", "email"]. */
  keyForPath(path: readonly string[] | null, sent: RegisterInputValue): string | null {
    if (!path) return null;
    const [first, ...rest] = path[0] === "input" ? path.slice(1) : path;
    let key: string | null = null;
    if (first === "attendee" && rest.length === 1) key = `attendee.${rest[0]}`;
    else if (first === "accessibilityNeeds") key = "accessibilityNeeds";
    else if (first === "eligibilityAnswers" && rest.length >= 1) {
      const answer = sent.eligibilityAnswers[Number(rest[0])];
      if (answer) key = `eligibility.${answer.criterionId}.${rest[1] === "details" ? "details" : "met"}`;
    }
    return key && this.fields.has(key) ? key : null;
  }

  /** A userError's message with the API's field name replaced by the label the attendee sees. */
  messageFor(error: UserError, key: string | null): string {
    const field = key ? this.fields.get(key) : undefined;
    const apiName = error.field?.[error.field.length - 1];
    if (field && apiName && error.message.toLowerCase().startsWith(apiName.toLowerCase())) return `${field.label}${error.message.slice(apiName.length)}`;
    return error.message;
  }

  /* ------------------------------------------------------------ errors */

  clearProblems(): void {
    for (const field of this.fields.values()) {
      field.error.hidden = true;
      field.error.replaceChildren();
      field.control.removeAttribute("aria-invalid");
      if (field.describedBy.length) field.control.setAttribute("aria-describedby", field.describedBy.join(" "));
      else field.control.removeAttribute("aria-describedby");
    }
    this.summary.hidden = true;
    this.summaryList.replaceChildren();
  }

  /** Shows each problem next to its field and in the summary, which takes focus. */
  showProblems(problems: FieldProblem[]): void {
    this.clearProblems();
    for (const problem of problems) {
      const field = problem.key ? this.fields.get(problem.key) : undefined;
      if (field) {
        field.error.hidden = false;
        field.error.append(h("span", { class: "visually-hidden" }, "Error: "), problem.message);
        field.control.setAttribute("aria-invalid", "true");
        field.control.setAttribute("aria-describedby", [...field.describedBy, field.error.id].join(" "));
        const link = h("a", { href: `#${field.control.id}`, part: "link" }, problem.message);
        link.addEventListener("click", (event) => {
          // Fragment links do not reach into a shadow root: move focus by hand.
          event.preventDefault();
          field.control.focus();
        });
        this.summaryList.append(h("li", {}, link));
      } else {
        this.summaryList.append(h("li", {}, problem.message));
      }
    }
    this.summary.hidden = false;
    this.summary.focus();
  }

  setBusy(busy: boolean): void {
    this.submitButton.disabled = busy;
    this.element.setAttribute("aria-busy", String(busy));
    this.submitButton.textContent = busy ? "Sending…" : submitLabel(this.event);
  }
}

function submitLabel(event: WidgetEvent): string {
  if (event.seatsRemaining === 0 && event.waitlistEnabled) return "Join the waitlist";
  return event.requiresReview ? "Send application" : "Book my place";
}

function idFor(key: string): string {
  return `field-${key.replace(/[^A-Za-z0-9_-]/g, "-")}`;
}
