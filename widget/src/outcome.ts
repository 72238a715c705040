/* What happened to the application, in words, with the reference and (when the partner takes payment) the payment link. */
import { externalLink, h, safeHref } from "./dom.js";
import type { RegisterResult, WidgetEvent } from "./operations.js";

type Registration = NonNullable<RegisterResult["register"]["registration"]>;

const headings: Record<Registration["status"], string> = {
  PENDING_REVIEW: "Application received",
  AWAITING_PAYMENT: "Place held: awaiting payment",
  CONFIRMED: "Booking confirmed",
  WAITLISTED: "You are on the waitlist",
  REJECTED: "Application not accepted",
  CANCELLED: "Registration cancelled",
};

function explanation(registration: Registration): string {
  switch (registration.status) {
    case "PENDING_REVIEW":
      return "Your application is under review. We will email you when your eligibility has been checked.";
    case "AWAITING_PAYMENT":
      return registration.paymentUrl ? "Your place is held until it is paid for." : "Your place is held until it is paid for. We have emailed you how to pay.";
    case "CONFIRMED":
      return "Your place is booked. We have emailed you the details.";
    case "WAITLISTED":
      return registration.waitlistPosition
        ? `Your position on the waitlist is ${registration.waitlistPosition}. We will email you if a place comes up.`
        : "We will email you if a place comes up.";
    default:
      return "We have emailed you the details.";
  }
}

export function renderOutcome(registration: Registration, event: WidgetEvent, headingLevel: number): HTMLElement {
  const heading = `h${headingLevel}` as "h2";
  const paymentHref = registration.status === "AWAITING_PAYMENT" ? safeHref(registration.paymentUrl) : null;
  const instructions = registration.status === "AWAITING_PAYMENT" ? event.payment?.instructions : null;
  return h(
    "div",
    { part: "outcome", class: `outcome outcome-${registration.status.toLowerCase().replace(/_/g, "-")}` },
    h(heading, { id: "outcome-title", class: "outcome-title", tabindex: -1 }, headings[registration.status]),
    h("p", {}, "Your reference: ", h("strong", { part: "reference", class: "reference" }, registration.reference)),
    h("p", {}, explanation(registration)),
    paymentHref ? h("p", {}, externalLink(paymentHref, "Pay for your place", { part: "payment-link link", class: "button" })) : null,
    instructions ? h("p", { class: "payment-instructions" }, instructions) : null,
    h("p", { class: "hint", part: "hint" }, "Keep the reference for any questions about your booking."),
  );
}
