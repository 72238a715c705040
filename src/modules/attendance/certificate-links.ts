import type { Config } from "../../config.js";

/** The public page that confirms a certificate: PUBLIC_URL/verify/{number}. */
export function verifyUrlOf(config: Pick<Config, "publicUrl">, number: string): string {
  return `${config.publicUrl}/verify/${encodeURIComponent(number)}`;
}

/** The PDF, for callers who send the same Authorization as the API (see certificate-routes.ts). */
export function pdfUrlOf(config: Pick<Config, "publicUrl">, certificateId: string): string {
  return `${config.publicUrl}/certificates/${encodeURIComponent(certificateId)}.pdf`;
}
