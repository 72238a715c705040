import { registerEnumType } from "type-graphql";

/* The contract's enumerations, registered once for the schema. */

export enum UserErrorCode {
  INVALID = "INVALID",
  REQUIRED = "REQUIRED",
  TOO_LONG = "TOO_LONG",
  NOT_ELIGIBLE = "NOT_ELIGIBLE",
  ALREADY_REGISTERED = "ALREADY_REGISTERED",
  EVENT_FULL = "EVENT_FULL",
  REGISTRATION_CLOSED = "REGISTRATION_CLOSED",
  INVALID_STATE = "INVALID_STATE",
  NOT_FOUND = "NOT_FOUND",
  RATE_LIMITED = "RATE_LIMITED",
  IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT",
  NOT_YET_EARNED = "NOT_YET_EARNED",
  OVERPAYMENT = "OVERPAYMENT",
  URL_NOT_ALLOWED = "URL_NOT_ALLOWED",
}

export enum EventFormat {
  IN_PERSON = "IN_PERSON",
  ONLINE = "ONLINE",
  HYBRID = "HYBRID",
}

export enum EventStatus {
  DRAFT = "DRAFT",
  PUBLISHED = "PUBLISHED",
  CANCELLED = "CANCELLED",
  COMPLETED = "COMPLETED",
}

export enum PartnerRole {
  HOST = "HOST",
  DELIVERY_PARTNER = "DELIVERY_PARTNER",
  BOOKING_PARTNER = "BOOKING_PARTNER",
  SPONSOR = "SPONSOR",
}

export enum SessionKind {
  LIVE = "LIVE",
  SELF_GUIDED = "SELF_GUIDED",
}

export enum Profession {
  MENTAL_HEALTH_NURSE = "MENTAL_HEALTH_NURSE",
  OCCUPATIONAL_THERAPIST = "OCCUPATIONAL_THERAPIST",
  CLINICAL_PSYCHOLOGIST = "CLINICAL_PSYCHOLOGIST",
  COUNSELLING_PSYCHOLOGIST = "COUNSELLING_PSYCHOLOGIST",
  PSYCHIATRIST = "PSYCHIATRIST",
  SOCIAL_WORKER = "SOCIAL_WORKER",
  PSYCHOTHERAPIST = "PSYCHOTHERAPIST",
  OTHER = "OTHER",
}

export enum RegistrationStatus {
  PENDING_REVIEW = "PENDING_REVIEW",
  AWAITING_PAYMENT = "AWAITING_PAYMENT",
  CONFIRMED = "CONFIRMED",
  WAITLISTED = "WAITLISTED",
  REJECTED = "REJECTED",
  CANCELLED = "CANCELLED",
}

export enum AccessGrantStatus {
  NOT_ELIGIBLE = "NOT_ELIGIBLE",
  SCHEDULED = "SCHEDULED",
  GRANTED = "GRANTED",
  REVOKED = "REVOKED",
}

export enum EmailKind {
  REGISTRATION_RECEIVED = "REGISTRATION_RECEIVED",
  APPLICATION_APPROVED = "APPLICATION_APPROVED",
  APPLICATION_REJECTED = "APPLICATION_REJECTED",
  BOOKING_CONFIRMED = "BOOKING_CONFIRMED",
  WAITLISTED = "WAITLISTED",
  WAITLIST_PLACE_OFFERED = "WAITLIST_PLACE_OFFERED",
  ACCESS_GRANTED = "ACCESS_GRANTED",
  EARLY_ACCESS_REQUESTED = "EARLY_ACCESS_REQUESTED",
  PREREQUISITE_REMINDER = "PREREQUISITE_REMINDER",
  REGISTRATION_CANCELLED = "REGISTRATION_CANCELLED",
  EVENT_CHANGED = "EVENT_CHANGED",
  REGISTRANT_SIGN_IN = "REGISTRANT_SIGN_IN",
  NEWSLETTER_CONFIRM = "NEWSLETTER_CONFIRM",
  CERTIFICATE_ISSUED = "CERTIFICATE_ISSUED",
  PAYMENT_RECEIVED = "PAYMENT_RECEIVED",
  WEBHOOK_ENDPOINT_FAILING = "WEBHOOK_ENDPOINT_FAILING",
}

export enum AttendanceAction {
  CHECK_IN = "CHECK_IN",
  CHECK_OUT = "CHECK_OUT",
}

export enum AttendanceStatus {
  PRESENT = "PRESENT",
  PARTIAL = "PARTIAL",
  ABSENT = "ABSENT",
}

export enum CertificateStatus {
  VALID = "VALID",
  REVOKED = "REVOKED",
}

export enum EmailStatus {
  QUEUED = "QUEUED",
  SENT = "SENT",
  RETRYING = "RETRYING",
  FAILED = "FAILED",
}

export enum ViewerRole {
  ANONYMOUS = "ANONYMOUS",
  ADMIN = "ADMIN",
  PARTNER = "PARTNER",
  REGISTRANT = "REGISTRANT",
}

export enum ReviewDecision {
  APPROVE = "APPROVE",
  REJECT = "REJECT",
}

registerEnumType(UserErrorCode, {
  name: "UserErrorCode",
  valuesConfig: {
    NOT_YET_EARNED: { description: "The registrant has not (yet) met what the certificate requires; the message says what is missing." },
    OVERPAYMENT: { description: "A payment would take the total paid beyond the amount due." },
    URL_NOT_ALLOWED: { description: "The webhook URL is refused (not http(s), or a private/loopback address where those are not allowed)." },
  },
});
registerEnumType(EventFormat, { name: "EventFormat" });
registerEnumType(EventStatus, { name: "EventStatus" });
registerEnumType(PartnerRole, {
  name: "PartnerRole",
  valuesConfig: {
    HOST: { description: "Runs the course and owns its content (e.g. the training centre)." },
    DELIVERY_PARTNER: { description: "Delivers the course with the host." },
    BOOKING_PARTNER: { description: "Takes bookings on its own website." },
    SPONSOR: { description: "Jointly sponsors the course and is responsible for its content." },
  },
});
registerEnumType(SessionKind, { name: "SessionKind" });
registerEnumType(Profession, { name: "Profession" });
registerEnumType(RegistrationStatus, {
  name: "RegistrationStatus",
  valuesConfig: {
    PENDING_REVIEW: { description: "Application received; eligibility is being reviewed. Holds a seat." },
    AWAITING_PAYMENT: { description: "Approved (or no review needed); the place is held until paid." },
    CONFIRMED: { description: "Paid in full; the place is booked." },
    WAITLISTED: { description: "The event was full; waiting for a place." },
  },
});
registerEnumType(AccessGrantStatus, {
  name: "AccessGrantStatus",
  valuesConfig: {
    NOT_ELIGIBLE: { description: "Not paid in full yet: no access can be scheduled." },
    SCHEDULED: { description: "Paid; access opens at scheduledFor." },
  },
});
registerEnumType(EmailKind, {
  name: "EmailKind",
  valuesConfig: {
    CERTIFICATE_ISSUED: { description: "The certificate, as a PDF attachment, with its verification link." },
    PAYMENT_RECEIVED: { description: "Receipt for each recorded payment." },
    WEBHOOK_ENDPOINT_FAILING: { description: "To the endpoint owner when its webhook endpoint is failing or was disabled." },
  },
});
registerEnumType(AttendanceAction, { name: "AttendanceAction" });
registerEnumType(AttendanceStatus, {
  name: "AttendanceStatus",
  valuesConfig: { PRESENT: { description: "Present for the whole session (within the event's grace minutes)." } },
});
registerEnumType(CertificateStatus, { name: "CertificateStatus" });
registerEnumType(EmailStatus, { name: "EmailStatus" });
registerEnumType(ViewerRole, { name: "ViewerRole" });
registerEnumType(ReviewDecision, { name: "ReviewDecision" });
