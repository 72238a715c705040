import type { RegistrationRow } from "./registration-access.js";

/*
 * Payment at the booking partner: an event may name the partner's payment page as a URL
 * template, and say how to pay in its instructions (a bank transfer needs no page). Whether
 * a registration shows them (the API, emails, the manage page, the widget) is decided here
 * only: while money is due.
 */

export const PAYMENT_REFERENCE_PLACEHOLDER = "{reference}";

/** The template with the reference URL-encoded into every placeholder. */
export function fillPaymentUrl(template: string, reference: string): string {
  return template.replaceAll(PAYMENT_REFERENCE_PLACEHOLDER, encodeURIComponent(reference));
}

/** Statuses in which nothing can be paid: no place is held (waitlist) or none will be. */
const nothingToPay = new Set<RegistrationRow["status"]>(["WAITLISTED", "CANCELLED", "REJECTED"]);

/** Whether money is due now: a price, not yet paid in full, in a status that takes payment. */
export function paymentIsDue(registration: Pick<RegistrationRow, "status" | "amountDueMinor">, amountPaidMinor: number): boolean {
  return registration.amountDueMinor > 0 && amountPaidMinor < registration.amountDueMinor && !nothingToPay.has(registration.status);
}

/**
 * The registration's own payment link, or null when there is none to show: no template, a
 * free place, paid in full, or a status that takes no payment.
 */
export function paymentUrlFor(template: string | null, registration: Pick<RegistrationRow, "reference" | "status" | "amountDueMinor">, amountPaidMinor: number): string | null {
  if (!template || !paymentIsDue(registration, amountPaidMinor)) return null;
  return fillPaymentUrl(template, registration.reference);
}
