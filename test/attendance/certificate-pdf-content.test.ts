import jsQRModule from "jsqr";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mbtCredit } from "../../src/demo/mbt-course.js";
import { downloadCertificatePdf, issueCertificate, type IssuedCertificate } from "../helpers/certificates.js";
import { createCourse } from "../helpers/factories.js";
import { extractPageText, pdfPageCount, renderPage, type PdfPageText, type RenderedPage } from "../helpers/pdf.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { createPartner, setPartners } from "../security/fixtures.js";

/*
 * The certificate PDF read back as a person and a phone would: its text through pdf.js,
 * page 1 drawn to a bitmap, the QR code on it decoded, and the page it points to opened.
 * The bitmap is kept in test-artifacts/certificate.png for a person to look at.
 */

// jsqr is CommonJS typed as an ES module: its function is module.exports, and also its .default.
const jsQR = jsQRModule.default;

const publicUrl = "https://courses.example";
/** Points to pixels: a QR module of 96/37 pt is about 8 px, well above jsQR's needs. */
const scale = 3;
const artifacts = join(import.meta.dirname, "..", "..", "test-artifacts");

describe("the certificate PDF of the demo course", () => {
  let server: TestServer;
  let issued: IssuedCertificate;
  let pdf: Buffer;
  let page: PdfPageText;
  let rendered: RenderedPage;
  const attendee = { firstName: "Margarethe", lastName: "Okonkwo-Lindqvist" };

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { PUBLIC_URL: publicUrl } });
    const course = await createCourse(server, { requiresReview: false, credit: mbtCredit });
    const host = await createPartner(server, "anna-freud-centre");
    const sponsor = await createPartner(server, "lifespan-learning-institute");
    await setPartners(server, course.id, [
      { organisationId: host, roles: ["HOST"] },
      { organisationId: sponsor, roles: ["SPONSOR"] },
    ]);
    issued = await issueCertificate(server, course, attendee);
    const response = await downloadCertificatePdf(server, issued.certificate.pdfUrl, issued.manageToken);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    pdf = Buffer.from(await response.arrayBuffer());
    page = await extractPageText(pdf);
    rendered = await renderPage(pdf, scale);
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, "certificate.png"), rendered.png);
  });
  afterAll(() => server?.close());

  it("prints the attendee, course, dates, credit, statement, number and verification URL, as text a PDF reader extracts", async () => {
    // given
    const { number, verifyUrl } = issued.certificate;

    // then
    expect(await pdfPageCount(pdf)).toBe(1);
    expect(page.text).toContain("Certificate of Attendance");
    expect(page.text).toContain(`This certifies that Margarethe Okonkwo-Lindqvist attended MBT Basic Training 4–6 Oct 2023`);
    expect(page.text).toContain("18 CE hours awarded");
    expect(page.text).toContain("Hosted by Partner anna-freud-centre.");
    expect(page.text).toContain("Jointly sponsored by Partner lifespan-learning-institute.");
    expect(page.text).toContain(mbtCredit.statement);
    expect(page.text).toContain(`Certificate number: ${number}`);
    // The last session ends 4:30 pm PDT on 6 Oct; the certificate is claimed an hour later.
    expect(page.text).toContain("Issued: 6 Oct 2023");
    expect(page.text).toContain(`Verify: ${verifyUrl}`);
    expect(verifyUrl).toBe(`${publicUrl}/verify/${number}`);
  });

  it("keeps every line of text inside the page's frame", () => {
    // The frame is drawn 30 pt in from each edge of the US Letter landscape page.
    expect([page.width, page.height]).toEqual([792, 612]);
    const outside = page.runs.filter((run) => run.left < 30 || run.right > page.width - 30 || run.top < 30 || run.bottom > page.height - 30);
    expect(outside.map((run) => run.text)).toEqual([]);
  });

  it("draws page 1 as a bitmap that is not blank", () => {
    // then
    expect([rendered.width, rendered.height]).toEqual([792 * scale, 612 * scale]);
    expect(rendered.png.subarray(1, 4).toString()).toBe("PNG");
    let dark = 0;
    let light = 0;
    for (let offset = 0; offset < rendered.rgba.length; offset += 4) {
      const luminance = 0.2126 * rendered.rgba[offset]! + 0.7152 * rendered.rgba[offset + 1]! + 0.0722 * rendered.rgba[offset + 2]!;
      if (luminance < 96) dark += 1;
      else if (luminance > 224) light += 1;
    }
    const pixels = rendered.width * rendered.height;
    // Text and the QR code: a few percent of the page; white paper: most of it.
    expect(dark / pixels).toBeGreaterThan(0.01);
    expect(dark / pixels).toBeLessThan(0.2);
    expect(light / pixels).toBeGreaterThan(0.75);
  });

  it("has a QR code that decodes to the printed verification URL, clear of the text; that page says VALID and agrees with the certificate", async () => {
    // given: the QR code sits in the bottom right quarter of the page
    const qr = decodeQr(rendered, { left: rendered.width / 2, top: rendered.height / 2 });
    const printed = /Verify: (\S+)/.exec(page.text)?.[1];

    // when
    const response = await fetch(`${server.app.url}${new URL(qr.data).pathname}`);
    const html = await response.text();

    // then
    expect(qr.data).toBe(printed);
    expect(qr.data).toBe(issued.certificate.verifyUrl);
    const overlapping = page.runs.filter((run) => run.right > qr.box.left && run.left < qr.box.right && run.bottom > qr.box.top && run.top < qr.box.bottom);
    expect(overlapping.map((run) => run.text)).toEqual([]);
    expect(response.status).toBe(200);
    expect(html).toContain("<strong>VALID</strong>");
    expect(html).toContain(`<dd>${issued.certificate.number}</dd>`);
    expect(html).toContain("<dd>Margarethe Okonkwo-Lindqvist</dd>");
    expect(html).toContain("<dd>MBT Basic Training</dd>");
    expect(html).toContain("<dd>4–6 Oct 2023</dd>");
    expect(html).toContain("<dd>18 CE hours</dd>");
    expect(html).toContain("<dd>6 Oct 2023</dd>");
  });
});

/** Decodes the one QR code in the part of the bitmap right of and below `from`; its box in PDF points. */
function decodeQr(image: RenderedPage, from: { left: number; top: number }): { data: string; box: { left: number; top: number; right: number; bottom: number } } {
  const left = Math.floor(from.left);
  const top = Math.floor(from.top);
  const width = image.width - left;
  const height = image.height - top;
  const crop = new Uint8ClampedArray(width * height * 4);
  for (let row = 0; row < height; row++) {
    const start = ((top + row) * image.width + left) * 4;
    crop.set(image.rgba.subarray(start, start + width * 4), row * width * 4);
  }
  const code = jsQR(crop, width, height);
  expect(code, "a QR code in the bottom right quarter of the page").not.toBeNull();
  const corners = [code!.location.topLeftCorner, code!.location.topRightCorner, code!.location.bottomLeftCorner, code!.location.bottomRightCorner];
  const toPoints = (pixels: number, offset: number) => (pixels + offset) / scale;
  return {
    data: code!.data,
    box: {
      left: toPoints(Math.min(...corners.map((corner) => corner.x)), left),
      right: toPoints(Math.max(...corners.map((corner) => corner.x)), left),
      top: toPoints(Math.min(...corners.map((corner) => corner.y)), top),
      bottom: toPoints(Math.max(...corners.map((corner) => corner.y)), top),
    },
  };
}
