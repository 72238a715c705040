import { randomUUID } from "node:crypto";
import { and, eq, gt, inArray, isNull, lte } from "drizzle-orm";
import { MANAGE_LINK_DAYS_AFTER_EVENT } from "../../auth/manage-tokens.js";
import { hashToken, newToken } from "../../auth/tokens.js";
import { DomainError } from "../../common/errors.js";
import { DAY_MS } from "../../common/time.js";
import { normalizeEmail } from "../../common/validate.js";
import { events, registrantTokens, registrations } from "../../db/tables.js";
import type { Deps } from "../../deps.js";
import type { Reads, Tx } from "../../db/database.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { subjectFor } from "../../mail/subjects.js";

/** A sign-in link works once, for a short while: it travels by email. */
export const SIGN_IN_LINK_TTL_MS = 20 * 60_000;
/** The session a link opens lasts as long as a mobile app can reasonably keep it. */
export const SESSION_TTL_MS = 30 * DAY_MS;

/**
 * Queues a sign-in email to an address that has registrations. The caller is told
 * nothing either way, so the endpoint cannot be used to find out who registered. The
 * link's token is minted when the email is sent (mintSignInLink), so none waits in the
 * outbox and a resent email carries a fresh one.
 */
export async function requestSignInLink({ db, clock }: Deps, email: string): Promise<void> {
  const emailNormalized = normalizeEmail(email);
  // Read outside the transaction: an unknown address (most probing) writes nothing.
  const known = await db.select({ email: registrations.email }).from(registrations).where(eq(registrations.emailNormalized, emailNormalized)).limit(1).get();
  if (!known) return;
  await db.transaction((tx) =>
    enqueueEmail(tx, clock, {
      kind: "REGISTRANT_SIGN_IN",
      to: known.email,
      subject: subjectFor("REGISTRANT_SIGN_IN", {}),
      dedupeKey: `sign-in:${emailNormalized}:${randomUUID()}`,
      payload: { emailNormalized },
    }),
  );
}

/** A fresh single-use sign-in token for an email being sent now; only its hash is stored. */
export async function mintSignInLink(tx: Tx, emailNormalized: string, now: Date): Promise<{ token: string; expiresAt: Date }> {
  const token = newToken("signInLink");
  const expiresAt = new Date(now.getTime() + SIGN_IN_LINK_TTL_MS);
  await tx.insert(registrantTokens).values({ hash: hashToken(token), kind: "SIGN_IN_LINK", emailNormalized, createdAt: now, expiresAt }).run();
  return { token, expiresAt };
}

/**
 * Spends a sign-in link and opens a registrant session, in one transaction: the link is
 * spent if and only if the session exists. The conditional UPDATE spends it once, however
 * many requests race with it.
 */
export async function signInWithLink({ db, clock }: Deps, token: string): Promise<{ sessionToken: string; expiresAt: Date }> {
  if (token.length > 200) throw invalidSignInLink();
  return db.transaction(async (tx) => {
    const now = clock.now();
    const spent = await tx
      .update(registrantTokens)
      .set({ usedAt: now })
      .where(and(eq(registrantTokens.hash, hashToken(token)), eq(registrantTokens.kind, "SIGN_IN_LINK"), isNull(registrantTokens.usedAt), gt(registrantTokens.expiresAt, now)))
      .returning()
      .get();
    if (!spent) throw invalidSignInLink();
    const sessionToken = newToken("session");
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    await tx.insert(registrantTokens).values({ hash: hashToken(sessionToken), kind: "SESSION", emailNormalized: spent.emailNormalized, createdAt: now, expiresAt }).run();
    return { sessionToken, expiresAt };
  });
}

function invalidSignInLink(): DomainError {
  return new DomainError("INVALID", "This sign-in link is invalid, already used or expired; ask for a new one.", ["token"]);
}

/**
 * Forgets what no longer opens anything: sign-in links and sessions past their expiry, and
 * manage links a year after their event ended. A manage link's own expiry was set from the
 * event's end when it was minted; a postponed course keeps its links, because the event's
 * current end is checked too. Every email mints a manage link, so without this the table
 * would only grow. Both deletes start from the expiry index: their cost follows what has
 * expired, not how many registrations there are.
 */
export async function purgeExpiredRegistrantTokens({ db, clock }: Deps): Promise<number> {
  const now = clock.now();
  const lapsedTokens = and(inArray(registrantTokens.kind, ["SIGN_IN_LINK", "SESSION"]), lte(registrantTokens.expiresAt, now));
  const endedBefore = new Date(now.getTime() - MANAGE_LINK_DAYS_AFTER_EVENT * DAY_MS);
  const expiredManageLinks = (reader: Reads, limit: number) =>
    reader
      .select({ hash: registrantTokens.hash })
      .from(registrantTokens)
      .innerJoin(registrations, eq(registrations.id, registrantTokens.registrationId))
      .innerJoin(events, eq(events.id, registrations.eventId))
      .where(and(eq(registrantTokens.kind, "MANAGE"), lte(registrantTokens.expiresAt, now), lte(events.endsAt, endedBefore)))
      .limit(limit);
  // Most steps find nothing to forget: only then is a transaction opened (a commit also
  // invalidates the response cache). Deleting what another process deleted first is a no-op.
  const anyLapsed = await db.select({ hash: registrantTokens.hash }).from(registrantTokens).where(lapsedTokens).limit(1).get();
  if (!anyLapsed && !(await expiredManageLinks(db, 1).get())) return 0;
  return db.transaction(async (tx) => {
    const lapsed = (await tx.delete(registrantTokens).where(lapsedTokens).run()).changes;
    const manage = (await tx.delete(registrantTokens).where(inArray(registrantTokens.hash, expiredManageLinks(tx, PURGE_BATCH))).run()).changes;
    return lapsed + manage;
  });
}

/** Manage links forgotten per worker step, at most: a backlog goes in steps, none of them long. */
const PURGE_BATCH = 1000;
