import { isValidPhoneNumber } from "libphonenumber-js";
import { UserErrorList } from "./errors.js";

/*
 * Input checks shared by every service. Each string input has a documented maximum
 * length (see README "Input lengths"), counted in characters as a reader sees them;
 * and no string may carry characters that break a line, a header or a calendar file, or
 * that reorder or hide text (Trojan Source names, spoofed references). Violations are
 * collected and reported together.
 */
export const limits = {
  name: 100,
  title: 200,
  slug: 80,
  shortText: 300,
  summary: 1_000,
  longText: 5_000,
  description: 20_000,
  email: 254,
  phone: 40,
  listItems: 100,
  note: 2_000,
  idempotencyKey: 255,
} as const;

/** The most code points one user-perceived character may combine (a base letter and its marks, an emoji sequence). */
export const MAX_CODE_POINTS_PER_CHARACTER = 32;

export type TextKind = "single-line" | "multi-line";

/*
 * Refused in every string: C0 controls but TAB/LF/CR, DEL, C1 controls, the Unicode line
 * and paragraph separators, bidirectional embeddings, overrides, isolates and marks, and
 * the invisible BOM, interlinear-annotation and deprecated format characters, and
 * unpaired UTF-16 surrogates (with the u flag, a well-formed pair is one code point and
 * does not match).
 */
const refusedEverywhere = /[\uD800-\uDFFF\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u206F\uFEFF\uFFF9-\uFFFB]/u;
/** Also refused in one-line values (names, titles, keys): line breaks, tabs and the invisible spacers used to fake a blank or a different name. */
const refusedInOneLine = /[\t\n\r\u180E\u200B\u2060-\u2064]/u;
/** After CRLF becomes LF, a CR left alone would still end a line for some readers. */
const loneCarriageReturn = /\r/;

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });
/** Below U+0300 no code point combines with its neighbours (but CR LF): such text needs no segmenting. */
const mayCombine = /[^\u0000-\u02FF]/;

/** Characters as a reader counts them: `é`, `👩‍⚕️` and `🇺🇸` are one each, whatever their encoding. */
export function characterCount(value: string): number {
  if (!mayCombine.test(value)) return value.length - (value.match(/\r\n/g)?.length ?? 0);
  let count = 0;
  for (const _ of graphemes.segment(value)) count += 1;
  return count;
}

/** Why a string may not be stored, or null. `kind` says whether line breaks and tabs are allowed. */
export function forbiddenCharacter(value: string, kind: TextKind): string | null {
  const found = refusedEverywhere.exec(value) ?? (kind === "single-line" ? refusedInOneLine.exec(value) : null);
  if (found) return describeCharacter(found[0]);
  if (kind === "multi-line" && loneCarriageReturn.test(value.replaceAll("\r\n", "\n"))) return "a carriage return without a line feed (U+000D): end lines with LF or CRLF";
  return null;
}

function describeCharacter(character: string): string {
  const codePoint = character.codePointAt(0)!;
  const code = `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
  if (character === "\n" || character === "\r" || character === "\u2028" || character === "\u2029") return `a line break (${code})`;
  if (character === "\t") return `a tab (${code})`;
  if (codePoint === 0) return `a NUL character (${code})`;
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return `a broken character (an unpaired UTF-16 surrogate, ${code})`;
  if (/[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u.test(character)) return `an invisible text-direction control (${code})`;
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f)) return `a control character (${code})`;
  return `an invisible formatting character (${code})`;
}

export class InputChecker extends UserErrorList {
  /**
   * A one-line value (name, title, slug, key, reference): trims; "" becomes null.
   * Reports REQUIRED, TOO_LONG, or INVALID for line breaks, tabs, control characters and
   * invisible direction or spacing characters (then returns null, so no check builds on it).
   */
  text(field: string[], value: string | null | undefined, max: number, options: { required?: boolean } = {}): string | null {
    return this.checked(field, value, max, "single-line", options);
  }

  /** Like text(), for inputs GraphQL already guarantees are present. */
  requiredText(field: string[], value: string, max: number): string {
    return this.text(field, value, max, { required: true }) ?? "";
  }

  /**
   * Text that may run over several lines (descriptions, notes, reasons, needs, details):
   * LF, CRLF (stored as LF) and TAB are allowed; every other control character and the
   * invisible direction controls are not.
   */
  multilineText(field: string[], value: string | null | undefined, max: number, options: { required?: boolean } = {}): string | null {
    return this.checked(field, value?.replaceAll("\r\n", "\n"), max, "multi-line", options);
  }

  /** Like multilineText(), for inputs GraphQL already guarantees are present. */
  requiredMultilineText(field: string[], value: string, max: number): string {
    return this.multilineText(field, value, max, { required: true }) ?? "";
  }

  private checked(field: string[], value: string | null | undefined, max: number, kind: TextKind, options: { required?: boolean }): string | null {
    const forbidden = value ? forbiddenCharacter(value, kind) : null;
    if (forbidden) {
      const rule = kind === "single-line" ? "must be a single line of visible text" : "may contain line breaks and tabs but no other control or invisible characters";
      this.add("INVALID", `${label(field)} ${rule}; it contains ${forbidden}.`, field);
      return null;
    }
    const trimmed = value?.trim() ?? "";
    if (!trimmed) {
      if (options.required) this.add("REQUIRED", `${label(field)} is required.`, field);
      return null;
    }
    this.length(field, trimmed, max);
    return trimmed;
  }

  /** TOO_LONG beyond `max` characters as a reader counts them; INVALID for a "character" stacked from too many code points. */
  private length(field: string[], value: string, max: number): void {
    if (!mayCombine.test(value)) {
      // Latin-1 and Latin Extended only: every code unit is a character, except that CRLF is one.
      if (value.length - (value.match(/\r\n/g)?.length ?? 0) > max) this.add("TOO_LONG", `${label(field)} must be at most ${max} characters.`, field);
      return;
    }
    let count = 0;
    for (const { segment } of graphemes.segment(value)) {
      // Segmenting costs microseconds a character: stop as soon as the answer is known.
      if (++count > max) {
        this.add("TOO_LONG", `${label(field)} must be at most ${max} characters.`, field);
        return;
      }
      // Without this, one letter with 100,000 combining marks would count as one character.
      if (segment.length > MAX_CODE_POINTS_PER_CHARACTER && [...segment].length > MAX_CODE_POINTS_PER_CHARACTER) {
        this.add("INVALID", `${label(field)} contains a character built from more than ${MAX_CODE_POINTS_PER_CHARACTER} code points (stacked combining marks).`, field);
        return;
      }
    }
  }

  phone(field: string[], value: string | null | undefined): string | null {
    const phone = this.text(field, value, limits.phone);
    if (phone && !isValidPhoneNumber(phone, "US")) {
      this.add("INVALID", `${label(field)} is not a valid phone number (use international format, e.g. +44 20 7794 2313).`, field);
    }
    return phone;
  }

  integer(field: string[], value: number | null | undefined, range: { min: number; max: number }): number | null {
    if (value === null || value === undefined) return null;
    if (!Number.isInteger(value) || value < range.min || value > range.max) {
      this.add("INVALID", `${label(field)} must be a whole number from ${range.min} to ${range.max}.`, field);
    }
    return value;
  }

  number(field: string[], value: number | null | undefined, range: { min: number; max: number }): number | null {
    if (value === null || value === undefined) return null;
    if (!Number.isFinite(value) || value < range.min || value > range.max) {
      this.add("INVALID", `${label(field)} must be from ${range.min} to ${range.max}.`, field);
    }
    return value;
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const slugPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** "firstName", or "sessions[2].title" for a field inside a list. */
function label(field: string[]): string {
  const lastIndex = field.findLastIndex((part) => /^\d+$/.test(part));
  if (lastIndex <= 0) return field.at(-1) ?? "value";
  return `${field[lastIndex - 1]}[${field[lastIndex]}]${field.slice(lastIndex + 1).map((part) => `.${part}`).join("")}`;
}
