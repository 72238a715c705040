import type { Attachment } from "nodemailer/lib/mailer/index.js";
import type { Config } from "../config.js";
import type { Reads } from "../db/database.js";
import { formatCredits, loadCertificateDocument } from "../modules/attendance/certificate-document.js";
import type { DeliveryRow, EmailFacts } from "./email-facts.js";

// pdfkit and qrcode (about 33 MB resident) load on the first certificate or QR code, not at start:
// most processes never draw one, and the public read path pays for their memory otherwise.
const certificatePdf = () => import("../modules/attendance/certificate-pdf.js");
const qrCodes = async () => (await import("qrcode")).default;

/*
 * What attendance adds to a message, made at send time (both are async): the check-in QR
 * code of a booking confirmation, as an inline image the HTML part shows by Content-ID
 * (mail clients block data: URLs), and the certificate PDF of CERTIFICATE_ISSUED.
 */

export const CHECK_IN_QR_CID = "check-in-qr@event-registration";

export interface AttendanceMailExtras {
  checkIn: { code: string; qrCid: string } | null;
  certificate: { number: string; credits: string; creditName: string | null; verifyUrl: string; revoked: boolean } | null;
  attachments: Attachment[];
}

export const noAttendanceExtras: AttendanceMailExtras = { checkIn: null, certificate: null, attachments: [] };

export async function attendanceExtrasFor(db: Reads, config: Config, delivery: DeliveryRow, facts: EmailFacts): Promise<AttendanceMailExtras> {
  const registration = facts.registration;
  if (delivery.kind === "BOOKING_CONFIRMED" && registration?.checkInCode && facts.event?.status !== "CANCELLED") {
    const png = await (await qrCodes()).toBuffer(registration.checkInCode, { type: "png", errorCorrectionLevel: "M", margin: 4, width: 240 });
    return {
      checkIn: { code: registration.checkInCode, qrCid: CHECK_IN_QR_CID },
      certificate: null,
      attachments: [{ filename: "check-in-qr.png", content: png, contentType: "image/png", cid: CHECK_IN_QR_CID, contentDisposition: "inline" }],
    };
  }
  if (delivery.kind === "CERTIFICATE_ISSUED" && typeof delivery.payload.certificateId === "string") {
    const document = await loadCertificateDocument(db, config, delivery.payload.certificateId);
    if (!document) return noAttendanceExtras;
    const pdf = await (await certificatePdf()).renderCertificatePdf(document);
    return {
      checkIn: null,
      certificate: {
        number: document.certificate.number,
        credits: formatCredits(document.creditsAwarded),
        creditName: document.creditName,
        verifyUrl: document.verifyUrl,
        revoked: document.certificate.status === "REVOKED",
      },
      attachments: [{ filename: `certificate-${document.certificate.number}.pdf`, content: pdf, contentType: "application/pdf" }],
    };
  }
  return noAttendanceExtras;
}
