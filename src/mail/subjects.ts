import type { EmailKind } from "../common/enums.js";

/** The subject line of each kind, known at enqueue time so admins see it while queued. */
export function subjectFor(kind: `${EmailKind}`, facts: { eventTitle?: string; reference?: string; cancelled?: boolean; disabled?: boolean }): string {
  const about = facts.eventTitle ?? "your course";
  const ref = facts.reference ? ` (${facts.reference})` : "";
  switch (kind) {
    case "REGISTRATION_RECEIVED":
      return `Application received: ${about}${ref}`;
    case "APPLICATION_APPROVED":
      return `Application approved: ${about}${ref}`;
    case "APPLICATION_REJECTED":
      return `Your application for ${about}${ref}`;
    case "BOOKING_CONFIRMED":
      return `Booking confirmed: ${about}${ref}`;
    case "WAITLISTED":
      return `You are on the waitlist: ${about}${ref}`;
    case "WAITLIST_PLACE_OFFERED":
      return `A place is available for you: ${about}${ref}`;
    case "ACCESS_GRANTED":
      return `Your prerequisite online course is open: ${about}${ref}`;
    case "EARLY_ACCESS_REQUESTED":
      return `Early access requested${ref}: ${about}`;
    case "PREREQUISITE_REMINDER":
      return `Reminder: complete the online course before ${about}${ref}`;
    case "REGISTRATION_CANCELLED":
      return `Registration cancelled: ${about}${ref}`;
    case "EVENT_CHANGED":
      return facts.cancelled ? `Cancelled: ${about}${ref}` : `Schedule changed: ${about}${ref}`;
    case "REGISTRANT_SIGN_IN":
      return "Your sign-in link";
    case "NEWSLETTER_CONFIRM":
      return "Please confirm your newsletter subscription";
    case "CERTIFICATE_ISSUED":
      return `Your certificate: ${about}${ref}`;
    case "PAYMENT_RECEIVED":
      return `Payment received: ${about}${ref}`;
    case "WEBHOOK_ENDPOINT_FAILING":
      return facts.disabled ? "Your webhook endpoint was disabled" : "Your webhook endpoint is failing";
  }
}
