import { inflateSync } from "node:zlib";

/*
 * Reads back the text runs of a PDF written by pdfkit with embedded (Type0, Identity-H)
 * fonts: enough to prove which font set a string and that every character got a real glyph.
 * It follows pdfkit's layout (one `/Fn size Tf` and `[<hex> kern <hex>] TJ` per run, fonts
 * named F1, F2, … in the page resources, a ToUnicode CMap of bfrange arrays); it is not a
 * general PDF parser.
 */

interface PdfObject {
  dictionary: string;
  stream: Buffer | null;
}

export interface PdfFont {
  /** e.g. "BZJZSF+DejaVuSans-Bold" (subset tag + PostScript name), or "Helvetica". */
  baseFont: string;
  /** Character id (= glyph id in the embedded subset) → the text it stands for. */
  toUnicode: Map<number, string>;
}

export interface PdfTextRun {
  font: PdfFont;
  text: string;
  /** The character ids drawn; 0 is .notdef, the "missing glyph" box. */
  cids: number[];
}

function objectsOf(pdf: Buffer): Map<number, PdfObject> {
  const source = pdf.toString("latin1");
  const objects = new Map<number, PdfObject>();
  for (const match of source.matchAll(/(\d+) 0 obj\s*([\s\S]*?)\bendobj/g)) {
    const body = match[2]!;
    const streamAt = body.search(/\bstream\r?\n/);
    if (streamAt < 0) {
      objects.set(Number(match[1]), { dictionary: body, stream: null });
      continue;
    }
    const dictionary = body.slice(0, streamAt);
    const dataStart = body.indexOf("\n", streamAt) + 1;
    const dataEnd = body.lastIndexOf("endstream");
    let data = Buffer.from(body.slice(dataStart, dataEnd).replace(/\r?\n$/, ""), "latin1");
    if (dictionary.includes("/FlateDecode")) data = inflateSync(data);
    objects.set(Number(match[1]), { dictionary, stream: data });
  }
  return objects;
}

function hexToText(hex: string): string {
  const units: number[] = [];
  for (let i = 0; i + 4 <= hex.length; i += 4) units.push(parseInt(hex.slice(i, i + 4), 16));
  return String.fromCharCode(...units);
}

function parseToUnicode(cmap: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const range of cmap.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*\[([^\]]*)\]/g)) {
    let cid = parseInt(range[1]!, 16);
    for (const entry of range[3]!.matchAll(/<([0-9a-fA-F ]*)>/g)) map.set(cid++, hexToText(entry[1]!.replace(/\s+/g, "")));
  }
  return map;
}

/** The fonts of the document by their resource name ("F1" → DejaVuSans-Bold …). */
export function pdfFonts(pdf: Buffer): Map<string, PdfFont> {
  const objects = objectsOf(pdf);
  const fonts = new Map<string, PdfFont>();
  for (const object of objects.values()) {
    for (const reference of object.dictionary.matchAll(/\/(F\d+) (\d+) 0 R/g)) {
      const font = objects.get(Number(reference[2]));
      if (!font || fonts.has(reference[1]!)) continue;
      const baseFont = /\/BaseFont \/([^\s/>]+)/.exec(font.dictionary)?.[1] ?? "";
      const cmapId = /\/ToUnicode (\d+) 0 R/.exec(font.dictionary)?.[1];
      const cmap = cmapId ? objects.get(Number(cmapId))?.stream?.toString("latin1") : undefined;
      fonts.set(reference[1]!, { baseFont, toUnicode: cmap ? parseToUnicode(cmap) : new Map() });
    }
  }
  return fonts;
}

/** Every TJ run of every content stream, decoded through its font's ToUnicode CMap. */
export function pdfTextRuns(pdf: Buffer): PdfTextRun[] {
  const fonts = pdfFonts(pdf);
  const runs: PdfTextRun[] = [];
  for (const object of objectsOf(pdf).values()) {
    if (!object.stream || /\/(Type|Subtype|Length1)\b/.test(object.dictionary)) continue;
    const content = object.stream.toString("latin1");
    let font: PdfFont | undefined;
    for (const operation of content.matchAll(/\/(F\d+)\s+[\d.]+\s+Tf|\[([^\]]*)\]\s*TJ/g)) {
      if (operation[1]) {
        font = fonts.get(operation[1]);
        continue;
      }
      if (!font) continue;
      const cids: number[] = [];
      for (const hex of operation[2]!.matchAll(/<([0-9a-fA-F]*)>/g)) {
        for (let i = 0; i + 4 <= hex[1]!.length; i += 4) cids.push(parseInt(hex[1]!.slice(i, i + 4), 16));
      }
      runs.push({ font, cids, text: cids.map((cid) => font!.toUnicode.get(cid) ?? "\uFFFD").join("") });
    }
  }
  return runs;
}
