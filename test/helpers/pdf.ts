import { createCanvas } from "@napi-rs/canvas";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { getDocument, type PDFDocumentProxy } from "pdfjs-dist/legacy/build/pdf.mjs";
import type { TextItem } from "pdfjs-dist/types/src/display/api.js";

/*
 * Reads a PDF back the way a viewer does, with pdf.js (the legacy build runs on Node 20).
 * It draws on @napi-rs/canvas (prebuilt, no compiler), the canvas pdf.js's Node build loads
 * for its own scratch canvases too; pdf.js lists it only as optional, so it is a devDependency. PDFs that use the 14 standard fonts
 * without embedding them (pdfkit's Helvetica) need pdf.js's standard font files to draw
 * text; system fonts are off so a machine's fonts cannot change what is drawn.
 */

const pdfjsRoot = dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"));
const standardFontDataUrl = `${join(pdfjsRoot, "standard_fonts")}/`;

/** A text run with its box in PDF points, origin at the page's top left. */
export interface PdfTextRun {
  text: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface PdfPageText {
  /** The page's text, runs joined with spaces and line ends, whitespace collapsed to one space. */
  text: string;
  runs: PdfTextRun[];
  width: number;
  height: number;
}

export interface RenderedPage {
  png: Buffer;
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, rows top to bottom. */
  rgba: Uint8ClampedArray;
}

async function open(pdf: Buffer): Promise<PDFDocumentProxy> {
  // pdf.js takes over (detaches) the array it is given: hand it a copy.
  return getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, isEvalSupported: false, standardFontDataUrl }).promise;
}

export async function pdfPageCount(pdf: Buffer): Promise<number> {
  const document = await open(pdf);
  try {
    return document.numPages;
  } finally {
    await document.destroy();
  }
}

export async function extractPageText(pdf: Buffer, pageNumber = 1): Promise<PdfPageText> {
  const document = await open(pdf);
  try {
    const page = await document.getPage(pageNumber);
    const viewport = page.getViewport({ scale: 1 });
    const content = await page.getTextContent();
    const items = content.items.filter((item): item is TextItem => "str" in item);
    const runs = items
      .filter((item) => item.str.trim() !== "")
      .map((item) => {
        const [, , , , x, y] = item.transform as number[];
        return { text: item.str, left: x!, right: x! + item.width, top: viewport.height - y! - item.height, bottom: viewport.height - y! };
      });
    const text = items
      .map((item) => item.str + (item.hasEOL ? "\n" : ""))
      .join(" ")
      .replace(/\s+/g, " ")
      .trim();
    return { text, runs, width: viewport.width, height: viewport.height };
  } finally {
    await document.destroy();
  }
}

/** Draws the page at `scale` pixels a point on a white background. */
export async function renderPage(pdf: Buffer, scale: number, pageNumber = 1): Promise<RenderedPage> {
  const document = await open(pdf);
  try {
    const page = await document.getPage(pageNumber);
    const viewport = page.getViewport({ scale });
    const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
    const context = canvas.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    // pdf.js types the context as the DOM's; @napi-rs/canvas implements the same API.
    await page.render({ canvasContext: context as never, viewport }).promise;
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    return { png: canvas.toBuffer("image/png"), width: canvas.width, height: canvas.height, rgba: image.data };
  } finally {
    await document.destroy();
  }
}
