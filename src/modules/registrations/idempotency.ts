import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";

/*
 * A retried `register` must get the same manage token back, yet the idempotency record
 * must not hold it in clear. Only the retrying client knows its raw idempotency key, so
 * the record is filed under the key's SHA-256 and the token is sealed (AES-256-GCM) under
 * a key derived from the raw key (HKDF): a copy of the database has neither. The replay
 * is as secret as the client's key, so clients should use random keys (a UUID).
 */

const SALT = "event-registration idempotency v1";
const VERSION = "v1";

/** `scopedKey` is `${apiKeyId | "public"}:${clientKey}`: what the record is filed under, hashed. */
export function idempotencyRecordKey(scopedKey: string): string {
  return createHash("sha256").update(`record:${scopedKey}`).digest("hex");
}

function sealingKey(scopedKey: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(scopedKey, "utf8"), SALT, "register manage token", 32));
}

/** Seals the token for replay; bound to the request hash, so it opens only for the same input. */
export function sealForReplay(scopedKey: string, requestHash: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(scopedKey), iv);
  cipher.setAAD(Buffer.from(requestHash, "utf8"));
  const sealed = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString("base64url")}`;
}

/** The sealed token, or null when it does not open (another key or input, or a damaged record). */
export function openReplay(scopedKey: string, requestHash: string, sealed: string): string | null {
  const [version, body] = sealed.split(".");
  if (version !== VERSION || !body) return null;
  const bytes = Buffer.from(body, "base64url");
  if (bytes.length < 29) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", sealingKey(scopedKey), bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(requestHash, "utf8"));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}
