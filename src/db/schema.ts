import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/*
 * Every instant is stored as integer milliseconds since the epoch (UTC): it sorts,
 * compares and indexes exactly, and the zone-aware presentation lives in common/time.ts.
 * Enumerations are stored as their GraphQL names.
 */

const instant = (name: string) => integer(name, { mode: "timestamp_ms" });
const flag = (name: string) => integer(name, { mode: "boolean" });

export const organisations = sqliteTable("organisations", {
  id: text("id").primaryKey(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  website: text("website"),
  email: text("email"),
  phone: text("phone"),
  createdAt: instant("created_at").notNull(),
  updatedAt: instant("updated_at").notNull(),
});

export const venues = sqliteTable("venues", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  line1: text("line1").notNull(),
  line2: text("line2"),
  city: text("city").notNull(),
  region: text("region"),
  postalCode: text("postal_code"),
  country: text("country").notNull(),
  timeZone: text("time_zone").notNull(),
  latitude: real("latitude"),
  longitude: real("longitude"),
  mapUrl: text("map_url"),
  adaCompliant: flag("ada_compliant").notNull(),
  wheelchairAccessible: flag("wheelchair_accessible"),
  stepFreeEntrance: flag("step_free_entrance"),
  accessibleRestrooms: flag("accessible_restrooms"),
  accessibleParking: flag("accessible_parking"),
  hearingLoop: flag("hearing_loop"),
  accessibilityNotes: text("accessibility_notes"),
  accessibilityInfoUrl: text("accessibility_info_url"),
  createdAt: instant("created_at").notNull(),
  updatedAt: instant("updated_at").notNull(),
});

export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    slug: text("slug").notNull().unique(),
    title: text("title").notNull(),
    summary: text("summary"),
    description: text("description"),
    audience: text("audience"),
    format: text("format", { enum: ["IN_PERSON", "ONLINE", "HYBRID"] }).notNull(),
    status: text("status", { enum: ["DRAFT", "PUBLISHED", "CANCELLED", "COMPLETED"] }).notNull(),
    timeZone: text("time_zone").notNull(),
    venueId: text("venue_id").references(() => venues.id),
    /** Derived from the sessions on every write, so lists can filter and sort by it. */
    startsAt: instant("starts_at").notNull(),
    endsAt: instant("ends_at").notNull(),
    liveHours: real("live_hours"),
    selfGuidedHours: real("self_guided_hours"),
    programmeLength: text("programme_length"),
    capacity: integer("capacity"),
    waitlistEnabled: flag("waitlist_enabled").notNull(),
    requiresReview: flag("requires_review").notNull(),
    priceMinor: integer("price_minor"),
    currency: text("currency"),
    registrationOpensAt: instant("registration_opens_at"),
    registrationClosesAt: instant("registration_closes_at"),
    bookingUrl: text("booking_url"),
    contactName: text("contact_name"),
    contactEmail: text("contact_email"),
    contactPhone: text("contact_phone"),
    /** How long a place offered from the waitlist is held before it passes on. */
    offerWindowHours: integer("offer_window_hours").notNull().default(72),
    /** The continuing-education credit designation; null name: the event awards no credit. */
    creditName: text("credit_name"),
    creditMax: real("credit_max"),
    creditIncrement: real("credit_increment"),
    creditStatement: text("credit_statement"),
    /** Minutes of a live session an attendee may miss and still count as PRESENT. */
    attendanceGraceMinutes: integer("attendance_grace_minutes").notNull().default(10),
    /** Whether a certificate needs the evaluation to be submitted. */
    evaluationRequired: flag("evaluation_required").notNull().default(true),
    /** Where a booking partner takes payment: a URL template with `{reference}` (http(s) only). */
    paymentUrlTemplate: text("payment_url_template"),
    paymentInstructions: text("payment_instructions"),
    /** iCalendar SEQUENCE: raised whenever sessions or the venue change. */
    scheduleVersion: integer("schedule_version").notNull().default(0),
    cancelReason: text("cancel_reason"),
    publishedAt: instant("published_at"),
    cancelledAt: instant("cancelled_at"),
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
  },
  (table) => [index("events_status_starts_idx").on(table.status, table.startsAt, table.id), index("events_starts_idx").on(table.startsAt, table.id)],
);

export const eventPartners = sqliteTable(
  "event_partners",
  {
    eventId: text("event_id").notNull().references(() => events.id, { onDelete: "cascade" }),
    organisationId: text("organisation_id").notNull().references(() => organisations.id),
    position: integer("position").notNull(),
    /** JSON array of PartnerRole names. */
    roles: text("roles", { mode: "json" }).$type<string[]>().notNull(),
    bookingUrl: text("booking_url"),
  },
  (table) => [primaryKey({ columns: [table.eventId, table.organisationId] }), index("event_partners_org_idx").on(table.organisationId)],
);

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id").notNull().references(() => events.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    title: text("title").notNull(),
    kind: text("kind", { enum: ["LIVE", "SELF_GUIDED"] }).notNull(),
    startsAt: instant("starts_at").notNull(),
    endsAt: instant("ends_at").notNull(),
    venueId: text("venue_id").references(() => venues.id),
  },
  (table) => [index("sessions_event_idx").on(table.eventId, table.startsAt)],
);

export const learningObjectives = sqliteTable(
  "learning_objectives",
  {
    eventId: text("event_id").notNull().references(() => events.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    text: text("text").notNull(),
  },
  (table) => [primaryKey({ columns: [table.eventId, table.position] })],
);

export const eligibilityCriteria = sqliteTable(
  "eligibility_criteria",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id").notNull().references(() => events.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    text: text("text").notNull(),
    required: flag("required").notNull(),
  },
  (table) => [index("eligibility_criteria_event_idx").on(table.eventId, table.position)],
);

export const prerequisiteCourses = sqliteTable("prerequisite_courses", {
  eventId: text("event_id").primaryKey().references(() => events.id, { onDelete: "cascade" }),
  title: text("title").notNull(),
  description: text("description"),
  durationHours: real("duration_hours"),
  url: text("url"),
  /** Null: access opens one calendar month before the start. */
  accessLeadDays: integer("access_lead_days"),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["ADMIN", "PUBLISHABLE", "SECRET"] }).notNull(),
    name: text("name").notNull(),
    /** The first characters of the key, to recognise it in lists; never enough to use it. */
    prefix: text("prefix").notNull(),
    /** SHA-256 of the whole key. */
    hash: text("hash").notNull().unique(),
    organisationId: text("organisation_id").references(() => organisations.id),
    /** JSON array of origins for publishable keys. */
    allowedOrigins: text("allowed_origins", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    createdAt: instant("created_at").notNull(),
    lastUsedAt: instant("last_used_at"),
    revokedAt: instant("revoked_at"),
  },
  (table) => [index("api_keys_org_idx").on(table.organisationId)],
);

export const registrationStatuses = ["PENDING_REVIEW", "AWAITING_PAYMENT", "CONFIRMED", "WAITLISTED", "REJECTED", "CANCELLED"] as const;

export const registrations = sqliteTable(
  "registrations",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id").notNull().references(() => events.id),
    reference: text("reference").notNull().unique(),
    status: text("status", { enum: registrationStatuses }).notNull(),
    firstName: text("first_name").notNull(),
    lastName: text("last_name").notNull(),
    email: text("email").notNull(),
    /** Lower-cased, trimmed: the key for duplicates and for a registrant's sign-in. */
    emailNormalized: text("email_normalized").notNull(),
    phone: text("phone"),
    profession: text("profession").notNull(),
    professionOther: text("profession_other"),
    employer: text("employer"),
    jobTitle: text("job_title"),
    accessibilityNeeds: text("accessibility_needs"),
    sourceOrganisationId: text("source_organisation_id").references(() => organisations.id),
    sourceApiKeyId: text("source_api_key_id").references(() => apiKeys.id),
    manageTokenHash: text("manage_token_hash").notNull().unique(),
    /** Price at the time of registration: later price changes do not alter what is owed. */
    amountDueMinor: integer("amount_due_minor").notNull(),
    currency: text("currency"),
    /** FIFO order of the waitlist. */
    waitlistedAt: instant("waitlisted_at"),
    /** A place offered from the waitlist lapses at this instant unless approved or paid. */
    offerExpiresAt: instant("offer_expires_at"),
    reviewNote: text("review_note"),
    prerequisiteCompletedAt: instant("prerequisite_completed_at"),
    accessScheduledFor: instant("access_scheduled_for"),
    accessGrantedAt: instant("access_granted_at"),
    accessRevokedAt: instant("access_revoked_at"),
    earlyAccessRequestedAt: instant("early_access_requested_at"),
    earlyAccessReason: text("early_access_reason"),
    cancelReason: text("cancel_reason"),
    /** Random, no personal data: given when the registration is first CONFIRMED, printed as a QR code, scanned at check-in. */
    checkInCode: text("check_in_code").unique(),
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
    cancelledAt: instant("cancelled_at"),
  },
  (table) => [
    /*
     * One index per filter of the admin list (all, by status, by event, by event and
     * status), each ending in the list's order (createdAt, id): a first page, or a page
     * after a cursor, is one index range read up to the page size, however many rows match.
     */
    index("registrations_created_idx").on(table.createdAt, table.id),
    index("registrations_status_created_idx").on(table.status, table.createdAt, table.id),
    index("registrations_event_created_idx").on(table.eventId, table.createdAt, table.id),
    index("registrations_event_status_idx").on(table.eventId, table.status, table.createdAt, table.id),
    index("registrations_email_idx").on(table.emailNormalized),
    /*
     * The scheduler's scans, partial so they hold only the rows still waiting: offers not
     * yet taken up or lapsed, and prerequisite access scheduled but not yet granted. The
     * conditions are IS [NOT] NULL terms, which a query's own terms imply whatever values
     * it binds (a bound status would not match a status literal here).
     */
    index("registrations_offer_expiry_idx").on(table.offerExpiresAt).where(sql`offer_expires_at IS NOT NULL`),
    // The waitlist in FIFO order: waitlistedAt is set while a registration is WAITLISTED (and left by an event's cancellation).
    index("registrations_waitlist_idx").on(table.eventId, table.waitlistedAt, table.id).where(sql`waitlisted_at IS NOT NULL`),
    index("registrations_access_due_idx")
      .on(table.accessScheduledFor)
      .where(sql`access_scheduled_for IS NOT NULL AND access_granted_at IS NULL`),
    // The database itself refuses a second active registration for one address.
    uniqueIndex("registrations_active_email_uq")
      .on(table.eventId, table.emailNormalized)
      .where(sql`status NOT IN ('CANCELLED', 'REJECTED')`),
  ],
);

/**
 * How many registrations each event has in each status, kept by triggers on registrations
 * (drizzle/0004_registration-counts-triggers.sql) in the same transaction as every insert,
 * status change and delete, whichever code path writes: seats held, seatsRemaining and the
 * admin list's totalCount read a handful of rows here instead of counting registrations.
 * A (event, status) row appears with the first registration in that status and stays (at 0).
 */
export const registrationCounts = sqliteTable(
  "registration_counts",
  {
    eventId: text("event_id").notNull().references(() => events.id, { onDelete: "cascade" }),
    status: text("status", { enum: registrationStatuses }).notNull(),
    count: integer("count").notNull(),
  },
  (table) => [primaryKey({ columns: [table.eventId, table.status] }), check("registration_counts_not_negative", sql`${table.count} >= 0`)],
);

export const eligibilityAnswers = sqliteTable(
  "eligibility_answers",
  {
    registrationId: text("registration_id").notNull().references(() => registrations.id, { onDelete: "cascade" }),
    criterionId: text("criterion_id").notNull().references(() => eligibilityCriteria.id),
    met: flag("met").notNull(),
    details: text("details"),
  },
  (table) => [primaryKey({ columns: [table.registrationId, table.criterionId] })],
);

export const payments = sqliteTable(
  "payments",
  {
    id: text("id").primaryKey(),
    registrationId: text("registration_id").notNull().references(() => registrations.id, { onDelete: "cascade" }),
    amountMinor: integer("amount_minor").notNull(),
    currency: text("currency").notNull(),
    method: text("method").notNull(),
    reference: text("reference"),
    receivedAt: instant("received_at").notNull(),
    createdAt: instant("created_at").notNull(),
  },
  (table) => [
    index("payments_registration_idx").on(table.registrationId, table.receivedAt),
    // A partner's retried call with the same reference records one payment, whatever the race.
    uniqueIndex("payments_registration_reference_uq").on(table.registrationId, table.reference).where(sql`reference IS NOT NULL`),
  ],
);

/** The audit timeline: one row per state change of a registration. */
export const registrationChanges = sqliteTable(
  "registration_changes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    registrationId: text("registration_id").notNull().references(() => registrations.id, { onDelete: "cascade" }),
    at: instant("at").notNull(),
    /** e.g. "admin:key_…", "registrant", "partner:org_…", "system". */
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    fromStatus: text("from_status"),
    toStatus: text("to_status"),
    note: text("note"),
  },
  (table) => [index("registration_changes_registration_idx").on(table.registrationId, table.id)],
);

export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    /** SHA-256 of the caller-scoped key, never the key itself. */
    key: text("key").primaryKey(),
    /** SHA-256 of the canonical input: the same key with another input is a conflict. */
    requestHash: text("request_hash").notNull(),
    registrationId: text("registration_id").references(() => registrations.id, { onDelete: "cascade" }),
    /**
     * The first response, replayed to retries: userErrors, and the manage token sealed under
     * the client's raw key (modules/registrations/idempotency.ts); manageToken stays null.
     */
    response: text("response", { mode: "json" }).$type<{ manageToken: string | null; sealedManageToken?: string; userErrors: unknown[] }>().notNull(),
    createdAt: instant("created_at").notNull(),
    expiresAt: instant("expires_at").notNull(),
  },
  // The worker purges expired records on every step.
  (table) => [index("idempotency_keys_expiry_idx").on(table.expiresAt)],
);

export const emailKinds = [
  "REGISTRATION_RECEIVED",
  "APPLICATION_APPROVED",
  "APPLICATION_REJECTED",
  "BOOKING_CONFIRMED",
  "WAITLISTED",
  "WAITLIST_PLACE_OFFERED",
  "ACCESS_GRANTED",
  "EARLY_ACCESS_REQUESTED",
  "PREREQUISITE_REMINDER",
  "REGISTRATION_CANCELLED",
  "EVENT_CHANGED",
  "REGISTRANT_SIGN_IN",
  "NEWSLETTER_CONFIRM",
  "CERTIFICATE_ISSUED",
  "PAYMENT_RECEIVED",
  "WEBHOOK_ENDPOINT_FAILING",
] as const;

/** The outbox: written in the same transaction as the change that mails someone. */
export const emailDeliveries = sqliteTable(
  "email_deliveries",
  {
    id: text("id").primaryKey(),
    /** (registration, kind, occasion) or another natural key: one delivery per occasion. */
    dedupeKey: text("dedupe_key").notNull().unique(),
    registrationId: text("registration_id").references(() => registrations.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: emailKinds }).notNull(),
    to: text("to_address").notNull(),
    subject: text("subject").notNull(),
    /** Everything the template needs, captured at enqueue time. */
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: ["QUEUED", "SENT", "RETRYING", "FAILED"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: instant("next_attempt_at").notNull(),
    /** A claim by a worker; expires so a crashed worker loses nothing. */
    claimedUntil: instant("claimed_until"),
    /** Which worker holds the claim (host, pid, boot id): a restarted worker takes back a dead one's claims at once. */
    claimedBy: text("claimed_by"),
    lastError: text("last_error"),
    messageId: text("message_id").notNull(),
    createdAt: instant("created_at").notNull(),
    sentAt: instant("sent_at"),
  },
  (table) => [
    index("email_deliveries_due_idx").on(table.status, table.nextAttemptAt),
    index("email_deliveries_registration_idx").on(table.registrationId, table.createdAt),
    index("email_deliveries_created_idx").on(table.createdAt, table.id),
  ],
);

/**
 * Single-use sign-in links, the registrant sessions they open, and the manage links minted
 * when an email is sent (so no live token waits in the outbox in clear).
 */
export const registrantTokens = sqliteTable(
  "registrant_tokens",
  {
    hash: text("hash").primaryKey(),
    kind: text("kind", { enum: ["SIGN_IN_LINK", "SESSION", "MANAGE"] }).notNull(),
    emailNormalized: text("email_normalized").notNull(),
    /** The one registration a MANAGE token opens. */
    registrationId: text("registration_id").references(() => registrations.id, { onDelete: "cascade" }),
    createdAt: instant("created_at").notNull(),
    expiresAt: instant("expires_at").notNull(),
    usedAt: instant("used_at"),
  },
  (table) => [index("registrant_tokens_expiry_idx").on(table.expiresAt)],
);

export const newsletterSubscriptions = sqliteTable("newsletter_subscriptions", {
  id: text("id").primaryKey(),
  emailNormalized: text("email_normalized").notNull().unique(),
  email: text("email").notNull(),
  firstName: text("first_name"),
  status: text("status", { enum: ["PENDING", "CONFIRMED", "UNSUBSCRIBED"] }).notNull(),
  /** The consent record: when, how (FORM or REGISTRATION) and through which source. */
  consentAt: instant("consent_at").notNull(),
  consentMethod: text("consent_method", { enum: ["FORM", "REGISTRATION"] }).notNull(),
  consentSource: text("consent_source"),
  confirmTokenHash: text("confirm_token_hash").unique(),
  unsubscribeTokenHash: text("unsubscribe_token_hash").notNull().unique(),
  confirmedAt: instant("confirmed_at"),
  unsubscribedAt: instant("unsubscribed_at"),
  createdAt: instant("created_at").notNull(),
});

/*
 * Attendance and certificates. An accredited provider keeps attendance records for six
 * years, so nothing here is ever purged and no row is deleted with its registration or
 * session (no cascades: a session with attendance cannot be removed from its event).
 */

/** Every check-in and check-out as it was uploaded: who recorded it, from which scan (nonce), when it happened and when it arrived. */
export const attendanceRecords = sqliteTable(
  "attendance_records",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /**
     * Unique per scan on a device, within its session: the same upload twice is stored once.
     * Scoped to the session so that two scanning apps (or two events' staff) that number
     * their scans the same way never collide.
     */
    nonce: text("nonce").notNull(),
    registrationId: text("registration_id").notNull().references(() => registrations.id),
    sessionId: text("session_id").notNull().references(() => sessions.id),
    action: text("action", { enum: ["CHECK_IN", "CHECK_OUT"] }).notNull(),
    /** When the scan happened (a device that worked offline uploads later). */
    occurredAt: instant("occurred_at").notNull(),
    recordedAt: instant("recorded_at").notNull(),
    /** e.g. "admin:key_…" or "partner:org_…". */
    actor: text("actor").notNull(),
    apiKeyId: text("api_key_id"),
    /** How the attendee was identified: the scanned code or a manual check-in by registration id. */
    method: text("method", { enum: ["CODE", "REGISTRATION_ID"] }).notNull(),
  },
  (table) => [
    index("attendance_records_registration_idx").on(table.registrationId, table.sessionId, table.occurredAt),
    uniqueIndex("attendance_records_session_nonce_unique").on(table.sessionId, table.nonce),
  ],
);

/** An admin's correction of the minutes present in one session; the latest per (registration, session) applies, earlier ones stay for the audit. */
export const attendanceOverrides = sqliteTable(
  "attendance_overrides",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    registrationId: text("registration_id").notNull().references(() => registrations.id),
    sessionId: text("session_id").notNull().references(() => sessions.id),
    minutesPresent: integer("minutes_present").notNull(),
    reason: text("reason").notNull(),
    actor: text("actor").notNull(),
    at: instant("at").notNull(),
  },
  (table) => [index("attendance_overrides_registration_idx").on(table.registrationId, table.sessionId, table.id)],
);

/** The registrant's evaluation of the course: a rating per learning objective, once. */
export const evaluations = sqliteTable("evaluations", {
  registrationId: text("registration_id").primaryKey().references(() => registrations.id),
  /** JSON array of { position, rating } in objective order. */
  ratings: text("ratings", { mode: "json" }).$type<{ position: number; rating: number }[]>().notNull(),
  comments: text("comments"),
  actor: text("actor").notNull(),
  submittedAt: instant("submitted_at").notNull(),
});

/**
 * An issued certificate, with what it certifies as printed (name, course, dates, credit):
 * the verification page confirms the document the attendee holds, even after later edits.
 */
export const certificates = sqliteTable("certificates", {
  id: text("id").primaryKey(),
  number: text("number").notNull().unique(),
  registrationId: text("registration_id").notNull().unique().references(() => registrations.id),
  attendeeName: text("attendee_name").notNull(),
  eventTitle: text("event_title").notNull(),
  /** The event's first and last day in its zone, ISO dates. */
  startDate: text("start_date").notNull(),
  endDate: text("end_date").notNull(),
  creditName: text("credit_name"),
  creditsAwarded: real("credits_awarded").notNull(),
  status: text("status", { enum: ["VALID", "REVOKED"] }).notNull(),
  issuedAt: instant("issued_at").notNull(),
  revokedAt: instant("revoked_at"),
  revokeReason: text("revoke_reason"),
});

export const webhookEventTypes = [
  "REGISTRATION_CREATED",
  "REGISTRATION_WAITLISTED",
  "REGISTRATION_APPROVED",
  "REGISTRATION_REJECTED",
  "REGISTRATION_CONFIRMED",
  "REGISTRATION_CANCELLED",
  "WAITLIST_OFFER_MADE",
  "WAITLIST_OFFER_EXPIRED",
  "PAYMENT_RECORDED",
  "COURSE_ACCESS_GRANTED",
  "EVENT_UPDATED",
  "EVENT_CANCELLED",
  "ATTENDANCE_RECORDED",
  "CERTIFICATE_ISSUED",
  "CERTIFICATE_REVOKED",
  "WEBHOOK_PING",
] as const;

/** A partner's (or an admin's: organisation null) receiver of signed webhook messages. */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    /** Null: an admin's endpoint, which hears of everything. */
    organisationId: text("organisation_id").references(() => organisations.id),
    url: text("url").notNull(),
    description: text("description"),
    /** JSON array of WebhookEventType names. */
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
    status: text("status", { enum: ["ENABLED", "FAILING", "DISABLED"] }).notNull(),
    /**
     * The whsec_… signing key as it was shown once. It is a key the server signs with (an
     * HMAC needs the key itself), not a password it only compares, so it cannot be hashed.
     */
    secret: text("secret").notNull(),
    /** The secret before the last rotation: still signed with until previousSecretExpiresAt. */
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: instant("previous_secret_expires_at"),
    /** The first failure since the last success; null while deliveries succeed. */
    failingSince: instant("failing_since"),
    disabledReason: text("disabled_reason"),
    createdAt: instant("created_at").notNull(),
    updatedAt: instant("updated_at").notNull(),
  },
  (table) => [index("webhook_endpoints_org_idx").on(table.organisationId)],
);

/**
 * The webhook outbox and its 30-day delivery log: one row per (endpoint, message), written
 * in the same transaction as the change it tells of; a redelivery is a new row with the
 * same messageId (the webhook-id header).
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    endpointId: text("endpoint_id").notNull().references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    messageId: text("message_id").notNull(),
    eventType: text("event_type", { enum: webhookEventTypes }).notNull(),
    /** The JSON body exactly as it is signed and sent. */
    payload: text("payload").notNull(),
    status: text("status", { enum: ["PENDING", "RETRYING", "SUCCEEDED", "FAILED"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: instant("next_attempt_at"),
    claimedUntil: instant("claimed_until"),
    claimedBy: text("claimed_by"),
    lastResponseStatus: integer("last_response_status"),
    lastError: text("last_error"),
    createdAt: instant("created_at").notNull(),
    deliveredAt: instant("delivered_at"),
  },
  (table) => [
    index("webhook_deliveries_due_idx").on(table.status, table.nextAttemptAt),
    index("webhook_deliveries_endpoint_idx").on(table.endpointId, table.createdAt, table.id),
    index("webhook_deliveries_created_idx").on(table.createdAt),
  ],
);
