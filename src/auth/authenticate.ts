import { and, eq, gt, isNull, lt, or } from "drizzle-orm";
import type { Clock } from "../common/clock.js";
import { forbidden, unauthenticated } from "../common/errors.js";
import type { Db } from "../db/client.js";
import { apiKeys, registrantTokens, registrations } from "../db/schema.js";
import { hashToken, MAX_TOKEN_LENGTH, tokenPrefixes } from "./tokens.js";
import { anonymous, type Viewer } from "./viewer.js";

/** last_used_at is a hint for operators; writing it at most once a minute keeps reads cheap. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves the Authorization header to a Viewer. No header: anonymous. Anything present
 * but not valid (malformed, unknown, revoked, expired) is refused rather than silently
 * downgraded, so a client with a broken key notices at once.
 */
export function authenticate(db: Db, clock: Clock, authorization: string | undefined, origin: string | undefined): Viewer {
  if (authorization === undefined || authorization.trim() === "") return anonymous;
  const match = /^Bearer ([A-Za-z0-9_\-]{1,200})$/.exec(authorization.trim());
  if (!match || match[1]!.length > MAX_TOKEN_LENGTH) throw unauthenticated("Authorization must be `Bearer <key or token>`.");
  const token = match[1]!;
  const hash = hashToken(token);
  const now = clock.now();

  if (token.startsWith(tokenPrefixes.adminKey) || token.startsWith(tokenPrefixes.publishableKey) || token.startsWith(tokenPrefixes.secretKey)) {
    const key = db.select().from(apiKeys).where(eq(apiKeys.hash, hash)).get();
    if (!key || key.revokedAt) throw unauthenticated("This API key is not valid or has been revoked.");
    if (key.kind === "PUBLISHABLE" && (!origin || !key.allowedOrigins.includes(origin))) {
      throw forbidden("This publishable key may only be used from its allowed origins.");
    }
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      db.update(apiKeys)
        .set({ lastUsedAt: now })
        .where(and(eq(apiKeys.id, key.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now.getTime() - LAST_USED_RESOLUTION_MS)))))
        .run();
    }
    if (key.kind === "ADMIN") return { role: "ADMIN", apiKeyId: key.id };
    return { role: "PARTNER", apiKeyId: key.id, organisationId: key.organisationId!, keyKind: key.kind };
  }

  if (token.startsWith(tokenPrefixes.manageToken)) {
    const registration = db
      .select({ id: registrations.id, emailNormalized: registrations.emailNormalized })
      .from(registrations)
      .where(eq(registrations.manageTokenHash, hash))
      .get();
    if (!registration) throw unauthenticated("This manage link is not valid.");
    return { role: "REGISTRANT", emailNormalized: registration.emailNormalized, registrationId: registration.id };
  }

  if (token.startsWith(tokenPrefixes.session)) {
    const session = db
      .select()
      .from(registrantTokens)
      .where(and(eq(registrantTokens.hash, hash), eq(registrantTokens.kind, "SESSION"), gt(registrantTokens.expiresAt, now)))
      .get();
    if (!session) throw unauthenticated("This session has expired; ask for a new sign-in link.");
    return { role: "REGISTRANT", emailNormalized: session.emailNormalized, registrationId: null };
  }

  throw unauthenticated("Unrecognised key or token.");
}
