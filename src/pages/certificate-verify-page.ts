import type { CertificateVerificationFacts } from "../modules/attendance/certificate-verification.js";

/*
 * PUBLIC_URL/verify/{number}: a small page anyone can open (from the certificate's QR
 * code) to confirm it. Server-rendered, no script and no external assets; it shows only
 * what verifyCertificate shows.
 */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);
}

const style = `body { font: 1rem/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
  dt { font-weight: 600; }
  .valid { color: #166534; } .revoked { color: #991b1b; }`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

export function verifyPage(facts: CertificateVerificationFacts, formatted: { dates: string; issuedOn: string; credits: string }): string {
  const valid = facts.status === "VALID";
  const rows: [string, string][] = [
    ["Certificate number", facts.number],
    ["Awarded to", facts.attendeeName],
    ["Course", facts.eventTitle],
    ["Dates", formatted.dates],
    ...(facts.creditName ? ([["Credit", `${formatted.credits} ${facts.creditName}`]] as [string, string][]) : []),
    ["Issued", formatted.issuedOn],
  ];
  return layout(
    `Certificate ${facts.number}: ${facts.status}`,
    `<h1>Certificate verification</h1>
<p class="${valid ? "valid" : "revoked"}" role="status"><strong>${valid ? "VALID" : "REVOKED"}</strong>: ${valid ? "this certificate was issued and is valid." : "this certificate has been revoked and is no longer valid."}</p>
<dl>
${rows.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd>`).join("\n")}
</dl>`,
  );
}

export function unknownCertificatePage(number: string): string {
  return layout("Certificate not found", `<h1>Certificate verification</h1>\n<p role="status"><strong>Not found</strong>: no certificate has the number ${escapeHtml(number)}.</p>`);
}
