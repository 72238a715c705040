import { eq, ne, sum } from "drizzle-orm";
import { newId, newSequentialId } from "../../common/ids.js";
import type { Tx } from "../../db/database.js";
import { preparedPerDatabase } from "../../db/prepared.js";
import { eventPartners, payments, webhookDeliveries, webhookEndpoints, type attendanceRecords, type certificates, type sessions, type webhookEventTypes } from "../../db/tables.js";
import { organisationIsEventStaff } from "../attendance/attendance-access.js";
import type { EventRow } from "../events/event-rules.js";
import { organisationSeesRegistration, type EventPartnerRoles, type RegistrationRow } from "../registrations/registration-access.js";

/*
 * Which endpoints get which message, with which data: the one place that decides. Called
 * inside the write transaction of the change it tells of, so a message exists if and only
 * if the change committed; the worker (webhook-delivery.ts) sends it later.
 *
 * - An admin's endpoint (organisation null) hears of everything, with everything.
 * - An organisation's endpoint hears of a registration only when the organisation may read
 *   it through the API (registration-access.ts, organisationSeesRegistration: it came through
 *   the organisation's keys, or the organisation hosts, delivers or takes bookings for the
 *   event), and then gets what the API would show it. A sponsor never may, so it never
 *   receives attendee data.
 * - Of attendance and certificates (attendance.recorded, certificate.issued/revoked) only
 *   the organisations that run the event's attendance hear: its HOST and DELIVERY_PARTNER
 *   (attendance-access.ts, organisationIsEventStaff), with the registration as the API shows
 *   it to them. Not a booking partner, which takes places but does not run the course, and
 *   never a sponsor.
 * - Of an event's own changes (updated, cancelled) the event's partners hear, every role,
 *   with the event's public facts; of an event that was never published only admins do.
 * Each registration message carries the registration's updatedAt: deliveries may arrive out
 * of order (retries, parallel sends), and a receiver keeps the one with the latest. An
 * attendance message stands for one stored scan and carries its nonce and occurredAt, which
 * is what a receiver orders and deduplicates those by.
 */

export type WebhookEventTypeName = (typeof webhookEventTypes)[number];
type PaymentRow = typeof payments.$inferSelect;
type EndpointRow = typeof webhookEndpoints.$inferSelect;
type AttendanceRecordRow = typeof attendanceRecords.$inferSelect;
type SessionRow = typeof sessions.$inferSelect;
type CertificateRow = typeof certificates.$inferSelect;

/** The types only the event's staff (and admins) hear of: they tell of attendance. */
const staffOnlyTypes = new Set<WebhookEventTypeName>(["ATTENDANCE_RECORDED", "CERTIFICATE_ISSUED", "CERTIFICATE_REVOKED"]);

/** REGISTRATION_CREATED → "registration.created", WAITLIST_OFFER_MADE → "waitlist_offer.made": the last word is the verb. */
export function wireType(type: WebhookEventTypeName): string {
  const lower = type.toLowerCase();
  const cut = lower.lastIndexOf("_");
  return `${lower.slice(0, cut)}.${lower.slice(cut + 1)}`;
}

export type WebhookSubject =
  | {
      registration: RegistrationRow;
      event: EventRow;
      payment?: PaymentRow;
      attendance?: { record: AttendanceRecordRow; session: SessionRow };
      /** With its links, which need the configuration's PUBLIC_URL. */
      certificate?: { row: CertificateRow; verifyUrl: string; pdfUrl: string };
    }
  | { registration?: undefined; event: EventRow };

async function registrationData(tx: Tx, registration: RegistrationRow) {
  const paid = Number((await tx.select({ total: sum(payments.amountMinor) }).from(payments).where(eq(payments.registrationId, registration.id)).get())?.total ?? 0);
  const currency = registration.currency;
  return {
    id: registration.id,
    reference: registration.reference,
    status: registration.status,
    eventId: registration.eventId,
    sourceOrganisationId: registration.sourceOrganisationId,
    attendee: {
      firstName: registration.firstName,
      lastName: registration.lastName,
      email: registration.email,
      phone: registration.phone,
      profession: registration.profession,
      professionOther: registration.professionOther,
      employer: registration.employer,
      jobTitle: registration.jobTitle,
    },
    accessibilityNeeds: registration.accessibilityNeeds,
    payment: {
      amountDue: { amountMinor: registration.amountDueMinor, currency },
      amountPaid: { amountMinor: paid, currency },
      paidInFull: paid >= registration.amountDueMinor,
    },
    offerExpiresAt: registration.offerExpiresAt?.toISOString() ?? null,
    accessGrant: {
      scheduledFor: registration.accessScheduledFor?.toISOString() ?? null,
      grantedAt: registration.accessGrantedAt?.toISOString() ?? null,
      revokedAt: registration.accessRevokedAt?.toISOString() ?? null,
    },
    createdAt: registration.createdAt.toISOString(),
    updatedAt: registration.updatedAt.toISOString(),
    cancelledAt: registration.cancelledAt?.toISOString() ?? null,
  };
}

function eventData(event: EventRow) {
  return {
    id: event.id,
    slug: event.slug,
    title: event.title,
    status: event.status,
    startsAt: event.startsAt.toISOString(),
    endsAt: event.endsAt.toISOString(),
    cancelReason: event.cancelReason,
    updatedAt: event.updatedAt.toISOString(),
  };
}

function attendanceData({ record, session }: { record: AttendanceRecordRow; session: SessionRow }) {
  return {
    nonce: record.nonce,
    action: record.action,
    method: record.method,
    occurredAt: record.occurredAt.toISOString(),
    recordedAt: record.recordedAt.toISOString(),
    session: { id: session.id, title: session.title, startsAt: session.startsAt.toISOString(), endsAt: session.endsAt.toISOString() },
  };
}

function certificateData({ row, verifyUrl, pdfUrl }: { row: CertificateRow; verifyUrl: string; pdfUrl: string }) {
  return {
    id: row.id,
    number: row.number,
    status: row.status,
    attendeeName: row.attendeeName,
    eventTitle: row.eventTitle,
    startDate: row.startDate,
    endDate: row.endDate,
    creditName: row.creditName,
    creditsAwarded: row.creditsAwarded,
    issuedAt: row.issuedAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    revokeReason: row.revokeReason,
    verifyUrl,
    pdfUrl,
  };
}

/** Whether an organisation's endpoint hears of this registration message at all. */
function organisationHears(organisationId: string, type: WebhookEventTypeName, registration: RegistrationRow, partners: EventPartnerRoles[]): boolean {
  return staffOnlyTypes.has(type) ? organisationIsEventStaff(organisationId, partners) : organisationSeesRegistration(organisationId, registration, partners);
}

/** What this endpoint may be told of the subject, or null when it hears nothing of it. */
async function dataFor(
  tx: Tx,
  endpoint: Pick<EndpointRow, "id" | "organisationId">,
  type: WebhookEventTypeName,
  subject: WebhookSubject,
  partners: EventPartnerRoles[],
  cached: { registration?: unknown },
): Promise<Record<string, unknown> | null> {
  const organisationId = endpoint.organisationId;
  if (subject.registration) {
    if (organisationId !== null && !organisationHears(organisationId, type, subject.registration, partners)) return null;
    cached.registration ??= await registrationData(tx, subject.registration);
    const data: Record<string, unknown> = { registration: cached.registration, event: { id: subject.event.id, slug: subject.event.slug, title: subject.event.title } };
    if (subject.payment) {
      const payment = subject.payment;
      data.payment = { id: payment.id, amountMinor: payment.amountMinor, currency: payment.currency, method: payment.method, reference: payment.reference, receivedAt: payment.receivedAt.toISOString() };
    }
    if (subject.attendance) data.attendance = attendanceData(subject.attendance);
    if (subject.certificate) data.certificate = certificateData(subject.certificate);
    return data;
  }
  if (organisationId !== null && (subject.event.publishedAt === null || !partners.some((partner) => partner.organisationId === organisationId))) return null;
  return { event: eventData(subject.event) };
}

/**
 * The outbox row of one message to one endpoint, due now. Its id sorts after the ones
 * queued before it (newSequentialId): the worker sends an endpoint's messages of one
 * createdAt in id order, which is the order they were queued in.
 */
function deliveryRow(endpointId: string, type: WebhookEventTypeName, now: Date, data: Record<string, unknown>) {
  return {
    id: newSequentialId("webhookDelivery"),
    endpointId,
    messageId: newId("webhookMessage"),
    eventType: type,
    payload: JSON.stringify({ type: wireType(type), timestamp: now.toISOString(), data }),
    status: "PENDING" as const,
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
  };
}

/**
 * The endpoints that may hear of a change. It runs in every registration's transaction,
 * so it is built and prepared once per transaction handle: on SQLite that is the one
 * writer's handle, so once per database; on PostgreSQL once per pooled connection (a
 * profile of 50 clients registering had drizzle building this select as a tenth of
 * `register`'s CPU). Through drizzle's builder, not raw SQL, so that event_types is
 * decoded per dialect (SQLite's JSON text, PostgreSQL's jsonb).
 */
const listeningEndpoints = preparedPerDatabase((tx: Tx) =>
  tx
    .select({ id: webhookEndpoints.id, organisationId: webhookEndpoints.organisationId, eventTypes: webhookEndpoints.eventTypes })
    .from(webhookEndpoints)
    .where(ne(webhookEndpoints.status, "DISABLED"))
    .prepare(),
);

/**
 * Queues `type` about `subject` for every endpoint that subscribes to it and may hear of
 * it. Several types about one subject (a registration created and waitlisted) share one
 * read of the endpoints and are queued in the order given.
 */
export async function enqueueWebhooks(tx: Tx, now: Date, types: WebhookEventTypeName | readonly WebhookEventTypeName[], subject: WebhookSubject): Promise<number> {
  const wanted = typeof types === "string" ? [types] : types;
  const endpoints = (await listeningEndpoints(tx).all()).filter((endpoint) => wanted.some((type) => endpoint.eventTypes.includes(type)));
  if (endpoints.length === 0) return 0;
  const partners = await tx.select({ organisationId: eventPartners.organisationId, roles: eventPartners.roles }).from(eventPartners).where(eq(eventPartners.eventId, subject.event.id)).all();
  const cached: { registration?: unknown } = {};
  let queued = 0;
  for (const type of wanted) {
    for (const endpoint of endpoints) {
      if (!endpoint.eventTypes.includes(type)) continue;
      const data = await dataFor(tx, endpoint, type, subject, partners, cached);
      if (data === null) continue;
      await tx.insert(webhookDeliveries).values(deliveryRow(endpoint.id, type, now, data)).run();
      queued++;
    }
  }
  return queued;
}

/** A WEBHOOK_PING to one endpoint (sendTestWebhook), whatever it subscribes to. */
export async function enqueuePing(tx: Tx, now: Date, endpoint: EndpointRow): Promise<typeof webhookDeliveries.$inferSelect> {
  const row = deliveryRow(endpoint.id, "WEBHOOK_PING", now, { endpointId: endpoint.id, message: "A test delivery from sendTestWebhook." });
  return (await tx.insert(webhookDeliveries).values(row).returning().get())!;
}
