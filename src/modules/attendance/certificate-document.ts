import { asc, eq, inArray } from "drizzle-orm";
import { formatDate, formatDateSpan } from "../../common/time.js";
import type { Config } from "../../config.js";
import type { Reads } from "../../db/database.js";
import { certificates, eventPartners, events, organisations, registrations, venues } from "../../db/tables.js";
import { addressOneLine } from "../../mail/venue-format.js";
import { creditDesignationOf } from "./attendance-rules.js";
import type { CertificateRow } from "./attendance.service.js";
import { verifyUrlOf } from "./certificate-links.js";

/** Everything the certificate PDF prints, read once from the database. */
export interface CertificateDocument {
  certificate: CertificateRow;
  registrationId: string;
  eventId: string;
  attendeeName: string;
  eventTitle: string;
  /** "4–6 Oct 2023". */
  dates: string;
  venue: string | null;
  hosts: string[];
  deliveredWith: string[];
  jointSponsors: string[];
  creditName: string | null;
  creditsAwarded: number;
  statement: string | null;
  issuedOn: string;
  verifyUrl: string;
}

/** Reads only: the PDF is drawn from it afterwards, never inside a transaction. */
export async function loadCertificateDocument(db: Reads, config: Pick<Config, "publicUrl">, certificateId: string): Promise<CertificateDocument | null> {
  const certificate = await db.select().from(certificates).where(eq(certificates.id, certificateId)).get();
  if (!certificate) return null;
  const registration = (await db.select({ id: registrations.id, eventId: registrations.eventId }).from(registrations).where(eq(registrations.id, certificate.registrationId)).get())!;
  const event = (await db.select().from(events).where(eq(events.id, registration.eventId)).get())!;
  const venue = event.venueId ? await db.select().from(venues).where(eq(venues.id, event.venueId)).get() : undefined;
  const partners = await db.select().from(eventPartners).where(eq(eventPartners.eventId, event.id)).orderBy(asc(eventPartners.position)).all();
  const organisationNames = partners.length
    ? await db.select({ id: organisations.id, name: organisations.name }).from(organisations).where(inArray(organisations.id, partners.map((partner) => partner.organisationId))).all()
    : [];
  const names = new Map(organisationNames.map((row) => [row.id, row.name]));
  const withRole = (role: string) => partners.filter((partner) => partner.roles.includes(role)).map((partner) => names.get(partner.organisationId)!);
  return {
    certificate,
    registrationId: registration.id,
    eventId: event.id,
    attendeeName: certificate.attendeeName,
    eventTitle: certificate.eventTitle,
    dates: formatDateSpan(event.startsAt, event.endsAt, event.timeZone),
    venue: venue ? addressOneLine(venue) : null,
    hosts: withRole("HOST"),
    deliveredWith: withRole("DELIVERY_PARTNER"),
    jointSponsors: withRole("SPONSOR"),
    creditName: certificate.creditName,
    creditsAwarded: certificate.creditsAwarded,
    statement: creditDesignationOf(event)?.statement ?? null,
    issuedOn: formatDate(certificate.issuedAt, event.timeZone),
    verifyUrl: verifyUrlOf(config, certificate.number),
  };
}

/**
 * "18", "17.5", "17.125": credit as printed, the exact value awarded (trailing zeros trimmed,
 * at most six decimals, the precision creditsEarned rounds to). Never rounded to cents: a
 * 0.125 increment printed as "17.13" would certify more than was earned.
 */
export function formatCredits(credits: number): string {
  return String(Number(credits.toFixed(6)));
}
