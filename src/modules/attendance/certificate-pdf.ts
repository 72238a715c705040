import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import PDFDocument from "pdfkit";
import QRCode from "qrcode";
import { formatCredits, type CertificateDocument } from "./certificate-document.js";

/*
 * The certificate as a one-page landscape PDF. The verification QR code is drawn as
 * vector squares from the code's module matrix, so it stays sharp at any print size.
 *
 * Text is set in DejaVu Sans (npm dejavu-fonts-ttf, embedded as a subset): pdfkit's
 * built-in Helvetica only encodes WinAnsi, so names such as "Łukasz", "Иванов" or
 * "Şahin" printed blank or garbled. DejaVu covers Latin Extended, Greek and Cyrillic;
 * CJK and other scripts it lacks still print as missing glyphs (see the README).
 */
const dejavuDirectory = join(dirname(createRequire(import.meta.url).resolve("dejavu-fonts-ttf/package.json")), "ttf");
export const certificateFonts = {
  regular: { name: "DejaVuSans", file: join(dejavuDirectory, "DejaVuSans.ttf") },
  bold: { name: "DejaVuSans-Bold", file: join(dejavuDirectory, "DejaVuSans-Bold.ttf") },
} as const;
const REGULAR = certificateFonts.regular.name;
const BOLD = certificateFonts.bold.name;

export function renderCertificatePdf(document: CertificateDocument): Promise<Buffer> {
  const doc = new PDFDocument({
    size: "LETTER",
    layout: "landscape",
    margin: 54,
    // Also the document's starting font: left to its default, pdfkit would embed a Helvetica
    // that nothing uses.
    font: certificateFonts.regular.file,
    info: { Title: `Certificate ${document.certificate.number}`, Subject: `${document.eventTitle}: certificate of attendance`, Author: document.hosts.join(", ") || "Event registration", Creator: "event-registration" },
  });
  doc.registerFont(REGULAR, certificateFonts.regular.file);
  doc.registerFont(BOLD, certificateFonts.bold.file);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  const width = doc.page.width - 108;
  const revoked = document.certificate.status === "REVOKED";

  doc.rect(30, 30, doc.page.width - 60, doc.page.height - 60).lineWidth(2).stroke("#1d4ed8");
  doc.fillColor("#1c1917").font(BOLD).fontSize(26).text(revoked ? "Certificate of Attendance (REVOKED)" : "Certificate of Attendance", 54, 64, { width, align: "center" });
  doc.moveDown(0.6).font(REGULAR).fontSize(13).text("This certifies that", { width, align: "center" });
  doc.moveDown(0.3).font(BOLD).fontSize(22).text(document.attendeeName, { width, align: "center" });
  doc.moveDown(0.3).font(REGULAR).fontSize(13).text("attended", { width, align: "center" });
  doc.moveDown(0.3).font(BOLD).fontSize(18).text(document.eventTitle, { width, align: "center" });
  doc.moveDown(0.3).font(REGULAR).fontSize(12).text(document.dates, { width, align: "center" });
  if (document.venue) doc.text(document.venue, { width, align: "center" });
  doc.moveDown(0.8);
  if (document.creditName) {
    doc.font(BOLD).fontSize(15).text(`${formatCredits(document.creditsAwarded)} ${document.creditName} awarded`, { width, align: "center" });
    doc.moveDown(0.6);
  }
  doc.font(REGULAR).fontSize(10.5);
  if (document.hosts.length) doc.text(`Hosted by ${document.hosts.join(" and ")}${document.deliveredWith.length ? `, delivered with ${document.deliveredWith.join(" and ")}` : ""}.`, { width, align: "center" });
  if (document.jointSponsors.length) doc.text(`Jointly sponsored by ${document.jointSponsors.join(" and ")}.`, { width, align: "center" });
  if (document.statement) doc.moveDown(0.4).fontSize(9.5).text(document.statement, { width, align: "center" });

  const qrSize = 96;
  const qrX = doc.page.width - 54 - qrSize;
  const qrY = doc.page.height - 54 - qrSize - 6;
  drawQrCode(doc, document.verifyUrl, qrX, qrY, qrSize);
  doc.font(REGULAR).fontSize(9.5).fillColor("#1c1917");
  const footY = doc.page.height - 54 - 52;
  doc.text(`Certificate number: ${document.certificate.number}`, 54, footY, { width: width - qrSize - 20, lineBreak: false });
  doc.text(`Issued: ${document.issuedOn}`, 54, footY + 14, { width: width - qrSize - 20, lineBreak: false });
  doc.text(`Verify: ${document.verifyUrl}`, 54, footY + 28, { width: width - qrSize - 20, link: document.verifyUrl, lineBreak: false });
  doc.end();
  return done;
}

function drawQrCode(doc: PDFKit.PDFDocument, text: string, x: number, y: number, size: number): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
  const count = qr.modules.size;
  const cell = size / (count + 8);
  doc.rect(x, y, size, size).fill("#ffffff");
  doc.fillColor("#000000");
  for (let row = 0; row < count; row++) {
    for (let column = 0; column < count; column++) {
      if (qr.modules.get(row, column)) doc.rect(x + (column + 4) * cell, y + (row + 4) * cell, cell, cell);
    }
  }
  doc.fill("#000000");
}
