import { webcrypto } from "node:crypto";
import { describe, expect, it } from "vitest";
import { newIdempotencyKey } from "../../widget/src/idempotency-key.js";

/* The widget's idempotency key on a page where crypto.randomUUID is missing (plain http: not a secure context). */

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("newIdempotencyKey", () => {
  it("builds a UUID v4 from getRandomValues when randomUUID is missing", () => {
    // given what an insecure context offers: getRandomValues only
    const insecure = { getRandomValues: (array: Uint8Array) => webcrypto.getRandomValues(array) };

    // when
    const keys = Array.from({ length: 1000 }, () => newIdempotencyKey(insecure));

    // then each is a version-4 UUID, and they differ
    for (const key of keys) expect(key).toMatch(uuidV4);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("sets the version and variant bits whatever the random bytes", () => {
    // given random sources that return all ones, then all zeros
    const filled = (value: number) => ({ getRandomValues: (array: Uint8Array) => array.fill(value) });

    // then
    expect(newIdempotencyKey(filled(0xff))).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
    expect(newIdempotencyKey(filled(0x00))).toBe("00000000-0000-4000-8000-000000000000");
  });

  it("uses randomUUID where the context has it", () => {
    // given
    const secure = { getRandomValues: () => { throw new Error("not expected"); }, randomUUID: () => "0b5c2a8e-7f41-4c3d-9a2e-1d6f8b7c9e01" };

    // then
    expect(newIdempotencyKey(secure)).toBe("0b5c2a8e-7f41-4c3d-9a2e-1d6f8b7c9e01");
  });
});
