import { and, eq, gt, isNull } from "drizzle-orm";
import { hashToken, newToken } from "../../auth/tokens.js";
import { DomainError } from "../../common/errors.js";
import { DAY_MS } from "../../common/time.js";
import { normalizeEmail } from "../../common/validate.js";
import { registrantTokens, registrations } from "../../db/schema.js";
import { writeTransaction } from "../../db/write-transaction.js";
import type { Deps } from "../../deps.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { subjectFor } from "../../mail/subjects.js";

/** A sign-in link works once, for a short while: it travels by email. */
export const SIGN_IN_LINK_TTL_MS = 20 * 60_000;
/** The session a link opens lasts as long as a mobile app can reasonably keep it. */
export const SESSION_TTL_MS = 30 * DAY_MS;

/**
 * Mails a single-use sign-in link to an address that has registrations. The caller is
 * told nothing either way, so the endpoint cannot be used to find out who registered.
 */
export function requestSignInLink({ db, clock }: Deps, email: string): void {
  const emailNormalized = normalizeEmail(email);
  const known = db.select({ email: registrations.email }).from(registrations).where(eq(registrations.emailNormalized, emailNormalized)).limit(1).get();
  if (!known) return;
  const token = newToken("signInLink");
  const now = clock.now();
  const hash = hashToken(token);
  writeTransaction(db, (tx) => {
    tx.insert(registrantTokens).values({ hash, kind: "SIGN_IN_LINK", emailNormalized, createdAt: now, expiresAt: new Date(now.getTime() + SIGN_IN_LINK_TTL_MS) }).run();
    enqueueEmail(tx, clock, {
      kind: "REGISTRANT_SIGN_IN",
      to: known.email,
      subject: subjectFor("REGISTRANT_SIGN_IN", {}),
      dedupeKey: `sign-in:${hash}`,
      payload: { signInToken: token, expiresAt: new Date(now.getTime() + SIGN_IN_LINK_TTL_MS).toISOString() },
    });
  });
}

/** Spends a sign-in link and opens a registrant session. */
export function signInWithLink({ db, clock }: Deps, token: string): { sessionToken: string; expiresAt: Date } {
  const now = clock.now();
  const spent = token.length <= 200
    ? db
        .update(registrantTokens)
        .set({ usedAt: now })
        .where(and(eq(registrantTokens.hash, hashToken(token)), eq(registrantTokens.kind, "SIGN_IN_LINK"), isNull(registrantTokens.usedAt), gt(registrantTokens.expiresAt, now)))
        .returning()
        .get()
    : undefined;
  if (!spent) throw new DomainError("INVALID", "This sign-in link is invalid, already used or expired; ask for a new one.", ["token"]);
  const sessionToken = newToken("session");
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  db.insert(registrantTokens).values({ hash: hashToken(sessionToken), kind: "SESSION", emailNormalized: spent.emailNormalized, createdAt: now, expiresAt }).run();
  return { sessionToken, expiresAt };
}
