import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { GraphQLError } from "graphql";
import { eq } from "drizzle-orm";
import { authenticate } from "../../auth/authenticate.js";
import type { Viewer } from "../../auth/viewer.js";
import { formatDate, formatDateSpan } from "../../common/time.js";
import { createLoaders } from "../../context.js";
import { events, registrations } from "../../db/tables.js";
import type { Deps } from "../../deps.js";
import { unknownCertificatePage, verifyPage } from "../../pages/certificate-verify-page.js";
import { canDownloadCertificate, isEventStaff, isRegistrantOrAdmin } from "./attendance-access.js";
import { attendanceCsv } from "./attendance-csv.js";
import { findCertificateByNumber } from "./attendance.service.js";
import { formatCredits, loadCertificateDocument } from "./certificate-document.js";
import { verificationOf } from "./certificate-verification.js";

// pdfkit and qrcode (about 33 MB resident) load on the first certificate or QR code, not at start:
// most processes never draw one, and the public read path pays for their memory otherwise.
const certificatePdf = () => import("./certificate-pdf.js");
const qrCodes = async () => (await import("qrcode")).default;

/*
 * The HTTP side of certificates and attendance: the public verification page, the PDF
 * and the CSV export. The last two take the API's own credentials (Authorization:
 * Bearer …) and ask attendance-access.ts who may have them, as the resolvers do.
 */

const pageSecurity = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

function errorBody(code: string, message: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/** The caller, or a reply already sent (401 for missing or bad credentials). */
async function callerOf(deps: Deps, request: FastifyRequest, reply: FastifyReply): Promise<Viewer | null> {
  try {
    const viewer = await authenticate(deps.db, deps.clock, request.headers.authorization, request.headers.origin);
    if (viewer.role === "ANONYMOUS") {
      reply.code(401).header("www-authenticate", "Bearer").send(errorBody("UNAUTHENTICATED", "Send the same credentials as the API: Authorization: Bearer <key or token>."));
      return null;
    }
    return viewer;
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    const status = Number((error.extensions.http as { status?: number } | undefined)?.status ?? 401);
    reply.code(status).send(errorBody(String(error.extensions.code ?? "UNAUTHENTICATED"), error.message));
    return null;
  }
}

export function registerAttendanceRoutes(app: FastifyInstance, deps: Deps): void {
  app.get<{ Params: { number: string } }>("/verify/:number", async (request, reply) => {
    reply.header("cache-control", "no-store").header("referrer-policy", "no-referrer").header("content-security-policy", pageSecurity).type("text/html; charset=utf-8");
    const number = request.params.number.slice(0, 60);
    const certificate = await findCertificateByNumber(deps.db, number);
    if (!certificate) return reply.code(404).send(unknownCertificatePage(number));
    const event = (await deps.db
      .select({ timeZone: events.timeZone, startsAt: events.startsAt, endsAt: events.endsAt })
      .from(registrations)
      .innerJoin(events, eq(events.id, registrations.eventId))
      .where(eq(registrations.id, certificate.registrationId))
      .get())!;
    return reply.send(
      verifyPage(verificationOf(certificate), {
        dates: formatDateSpan(event.startsAt, event.endsAt, event.timeZone),
        issuedOn: formatDate(certificate.issuedAt, event.timeZone),
        credits: formatCredits(certificate.creditsAwarded),
      }),
    );
  });

  app.get<{ Params: { file: string } }>("/certificates/:file", async (request, reply) => {
    reply.header("cache-control", "private, no-store");
    const viewer = await callerOf(deps, request, reply);
    if (!viewer) return reply;
    const id = /^(cer_[0-9A-Z]{26})\.pdf$/.exec(request.params.file)?.[1];
    const document = id ? await loadCertificateDocument(deps.db, deps.config, id) : null;
    const registration = document ? await deps.db.select().from(registrations).where(eq(registrations.id, document.registrationId)).get() : undefined;
    // A certificate the caller may not have is answered exactly like a missing one.
    if (!document || !registration || !(await canDownloadCertificate({ viewer, loaders: createLoaders(deps.db) }, registration))) {
      return reply.code(404).send(errorBody("NOT_FOUND", "No certificate has this id."));
    }
    // Drawn after the reads, outside any transaction: rendering is CPU for a while.
    const pdf = await (await certificatePdf()).renderCertificatePdf(document);
    return reply.type("application/pdf").header("content-disposition", `inline; filename="certificate-${document.certificate.number}.pdf"`).send(pdf);
  });

  // The manage page fetches this with the registrant's token and shows it as an image.
  app.get<{ Params: { id: string } }>("/registrations/:id/check-in-qr.svg", async (request, reply) => {
    reply.header("cache-control", "private, no-store");
    const viewer = await callerOf(deps, request, reply);
    if (!viewer) return reply;
    const registration = await deps.db.select().from(registrations).where(eq(registrations.id, request.params.id.slice(0, 60))).get();
    if (!registration?.checkInCode || !isRegistrantOrAdmin({ viewer, loaders: createLoaders(deps.db) }, registration)) {
      return reply.code(404).send(errorBody("NOT_FOUND", "No check-in code for this registration."));
    }
    const svg = await (await qrCodes()).toString(registration.checkInCode, { type: "svg", errorCorrectionLevel: "M", margin: 4 });
    return reply.type("image/svg+xml").send(svg);
  });

  app.get<{ Params: { id: string } }>("/exports/events/:id/attendance.csv", async (request, reply) => {
    reply.header("cache-control", "private, no-store");
    const viewer = await callerOf(deps, request, reply);
    if (!viewer) return reply;
    const event = await deps.db.select().from(events).where(eq(events.id, request.params.id.slice(0, 60))).get();
    if (!event) {
      return viewer.role === "ADMIN" ? reply.code(404).send(errorBody("NOT_FOUND", "No event has this id.")) : reply.code(403).send(errorBody("FORBIDDEN", "Only admins and the event's host or delivery partner (secret key) may export its attendance."));
    }
    if (!(await isEventStaff({ viewer, loaders: createLoaders(deps.db) }, event.id))) {
      return reply.code(403).send(errorBody("FORBIDDEN", "Only admins and the event's host or delivery partner (secret key) may export its attendance."));
    }
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="${event.slug}-attendance.csv"`)
      .send(await attendanceCsv(deps.db, event));
  });
}
