import { createHmac, randomBytes } from "node:crypto";

/*
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the secret is
 * "whsec_" + base64 of random bytes, and each delivery carries
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body" under the decoded secret>`,
 * space-separated when several secrets sign (during a rotation).
 */

const SECRET_PREFIX = "whsec_";

export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString("base64")}`;
}

export function signatureOf(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, "base64");
  return `v1,${createHmac("sha256", key).update(`${messageId}.${timestampSeconds}.${body}`).digest("base64")}`;
}

/** The header value: the current secret's signature first, then the previous one's while it is still honoured. */
export function signatureHeader(secrets: string[], messageId: string, timestampSeconds: number, body: string): string {
  return secrets.map((secret) => signatureOf(secret, messageId, timestampSeconds, body)).join(" ");
}
