import type { CertificateStatus } from "../../common/enums.js";
import type { CertificateRow } from "./attendance.service.js";

/** What anyone may learn about a certificate from its number (the query and the page): no email, no reference, no attendance. */
export interface CertificateVerificationFacts {
  number: string;
  status: CertificateStatus;
  attendeeName: string;
  eventTitle: string;
  startDate: string;
  endDate: string;
  creditName: string | null;
  creditsAwarded: number;
  issuedAt: Date;
}

export function verificationOf(certificate: CertificateRow): CertificateVerificationFacts {
  return {
    number: certificate.number,
    status: certificate.status as CertificateStatus,
    attendeeName: certificate.attendeeName,
    eventTitle: certificate.eventTitle,
    startDate: certificate.startDate,
    endDate: certificate.endDate,
    creditName: certificate.creditName,
    creditsAwarded: certificate.creditsAwarded,
    issuedAt: certificate.issuedAt,
  };
}
