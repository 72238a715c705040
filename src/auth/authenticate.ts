import { and, eq, gt, isNull, lt, or } from "drizzle-orm";
import type { Clock } from "../common/clock.js";
import { ADMIN_KEY_HINT, forbidden, unauthenticated } from "../common/errors.js";
import type { Db } from "../db/database.js";
import { apiKeys, events, registrantTokens, registrations } from "../db/tables.js";
import { manageLinkExpiresAt } from "./manage-tokens.js";
import { BEARER_TOKEN_PATTERN, hashToken, linkOnlyPrefixes, MAX_TOKEN_LENGTH, tokenPrefixes } from "./tokens.js";
import { anonymous, type Viewer } from "./viewer.js";

/**
 * last_used_at is a hint for operators; writing it at most once a minute per key keeps
 * authentication a read (the write is a transaction of its own, so it waits for the writer).
 */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves the Authorization header to a Viewer. No header: anonymous. Anything present
 * but not valid (malformed, unknown, revoked, expired) is refused rather than silently
 * downgraded, so a client with a broken key notices at once.
 */
export async function authenticate(db: Db, clock: Clock, authorization: string | undefined, origin: string | undefined): Promise<Viewer> {
  if (authorization === undefined || authorization.trim() === "") return anonymous;
  const match = /^Bearer (\S+)$/.exec(authorization.trim());
  if (!match || match[1]!.length > MAX_TOKEN_LENGTH || !BEARER_TOKEN_PATTERN.test(match[1]!)) {
    throw unauthenticated(`Authorization must be \`Bearer <key or token>\`. ${ADMIN_KEY_HINT}`);
  }
  const token = match[1]!;
  const hash = hashToken(token);
  const now = clock.now();

  if (token.startsWith(tokenPrefixes.manageToken)) return manageTokenViewer(db, hash, now);
  if (token.startsWith(tokenPrefixes.session)) {
    const session = await db
      .select()
      .from(registrantTokens)
      .where(and(eq(registrantTokens.hash, hash), eq(registrantTokens.kind, "SESSION"), gt(registrantTokens.expiresAt, now)))
      .get();
    if (!session) throw unauthenticated("This session has expired; ask for a new sign-in link.");
    return { role: "REGISTRANT", emailNormalized: session.emailNormalized, registrationId: null };
  }
  if (linkOnlyPrefixes.some((prefix) => token.startsWith(prefix))) {
    throw unauthenticated("This is a link token, not a credential: a sign-in link's token goes to `signInWithLink`, which returns a session token (st_…) to send instead.");
  }
  // ak_, pk_, sk_, and any other value: an operator may choose ADMIN_API_KEY freely.
  return apiKeyViewer(db, hash, origin, now);
}

async function apiKeyViewer(db: Db, hash: string, origin: string | undefined, now: Date): Promise<Viewer> {
  const key = await db.select().from(apiKeys).where(eq(apiKeys.hash, hash)).get();
  if (!key || key.revokedAt) throw unauthenticated(`This API key is not valid or has been revoked. ${ADMIN_KEY_HINT}`);
  if (key.kind === "PUBLISHABLE" && (!origin || !key.allowedOrigins.includes(origin))) {
    throw forbidden("This publishable key may only be used from its allowed origins.");
  }
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.transaction(async (tx) => {
      await tx
        .update(apiKeys)
        .set({ lastUsedAt: now })
        .where(and(eq(apiKeys.id, key.id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now.getTime() - LAST_USED_RESOLUTION_MS)))))
        .run();
    });
  }
  if (key.kind === "ADMIN") return { role: "ADMIN", apiKeyId: key.id };
  return { role: "PARTNER", apiKeyId: key.id, organisationId: key.organisationId!, keyKind: key.kind };
}

/** The token `register` returned, or one minted for an email's manage link; both end a year after the event. */
async function manageTokenViewer(db: Db, hash: string, now: Date): Promise<Viewer> {
  const columns = { id: registrations.id, emailNormalized: registrations.emailNormalized, eventEndsAt: events.endsAt };
  const found =
    (await db
      .select(columns)
      .from(registrantTokens)
      .innerJoin(registrations, eq(registrations.id, registrantTokens.registrationId))
      .innerJoin(events, eq(events.id, registrations.eventId))
      .where(and(eq(registrantTokens.hash, hash), eq(registrantTokens.kind, "MANAGE")))
      .get()) ??
    (await db.select(columns).from(registrations).innerJoin(events, eq(events.id, registrations.eventId)).where(eq(registrations.manageTokenHash, hash)).get());
  if (!found) throw unauthenticated("This manage link is not valid.");
  if (now.getTime() >= manageLinkExpiresAt(found.eventEndsAt).getTime()) throw unauthenticated("This manage link has expired; ask for a sign-in link.");
  return { role: "REGISTRANT", emailNormalized: found.emailNormalized, registrationId: found.id };
}
