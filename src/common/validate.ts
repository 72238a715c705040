import { isValidPhoneNumber } from "libphonenumber-js";
import { UserErrorList } from "./errors.js";

/*
 * Input checks shared by every service. Each string input has a documented maximum
 * length (see README "Input limits"); violations are collected and reported together.
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

export class InputChecker extends UserErrorList {
  /** Trims; "" becomes null. Reports REQUIRED / TOO_LONG. */
  text(field: string[], value: string | null | undefined, max: number, options: { required?: boolean } = {}): string | null {
    const trimmed = value?.trim() ?? "";
    if (!trimmed) {
      if (options.required) this.add("REQUIRED", `${label(field)} is required.`, field);
      return null;
    }
    if (trimmed.length > max) this.add("TOO_LONG", `${label(field)} must be at most ${max} characters.`, field);
    return trimmed;
  }

  /** Like text(), for inputs GraphQL already guarantees are present. */
  requiredText(field: string[], value: string, max: number): string {
    return this.text(field, value, max, { required: true }) ?? "";
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

function label(field: string[]): string {
  return field.at(-1) ?? "value";
}
