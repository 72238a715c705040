import { randomUUID } from "node:crypto";
import { and, asc, eq, gt, or } from "drizzle-orm";
import { hashToken, newToken } from "../../auth/tokens.js";
import type { Clock } from "../../common/clock.js";
import { decodeCursor, pageSize, toConnection } from "../../common/connection.js";
import { newId } from "../../common/ids.js";
import { normalizeEmail } from "../../common/validate.js";
import type { Db, Tx } from "../../db/database.js";
import { newsletterSubscriptions } from "../../db/tables.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { subjectFor } from "../../mail/subjects.js";

export type SubscriptionRow = typeof newsletterSubscriptions.$inferSelect;

export interface OptIn {
  email: string;
  firstName: string | null;
  method: "FORM" | "REGISTRATION";
  /** The site, partner or event the consent was given through. */
  source: string | null;
}

/**
 * Records consent and mails a confirmation link (double opt-in). Asking again while
 * pending sends a fresh link; a confirmed subscriber is left as is, and nothing tells
 * the caller which case applied. The links' tokens are minted when the email is sent
 * (issueNewsletterTokens), so none waits in the outbox in clear.
 */
export async function startNewsletterOptIn(tx: Tx, clock: Clock, optIn: OptIn): Promise<void> {
  const now = clock.now();
  const emailNormalized = normalizeEmail(optIn.email);
  const existing = await tx.select().from(newsletterSubscriptions).where(eq(newsletterSubscriptions.emailNormalized, emailNormalized)).get();
  if (existing?.status === "CONFIRMED") return;
  const consent = {
    consentAt: now,
    consentMethod: optIn.method,
    consentSource: optIn.source,
    status: "PENDING" as const,
    unsubscribedAt: null,
  };
  let id: string;
  if (existing) {
    id = existing.id;
    // The links of the earlier email keep working until the new one is sent.
    await tx.update(newsletterSubscriptions).set({ ...consent, email: optIn.email.trim(), firstName: optIn.firstName ?? existing.firstName }).where(eq(newsletterSubscriptions.id, id)).run();
  } else {
    id = newId("subscription");
    // The column is required; this hash belongs to a token nobody was ever given.
    const placeholder = { confirmTokenHash: null, unsubscribeTokenHash: hashToken(newToken("newsletterUnsubscribe")) };
    await tx
      .insert(newsletterSubscriptions)
      .values({ id, emailNormalized, email: optIn.email.trim(), firstName: optIn.firstName, ...consent, ...placeholder, createdAt: now })
      .run();
  }
  await enqueueEmail(tx, clock, {
    kind: "NEWSLETTER_CONFIRM",
    to: optIn.email.trim(),
    subject: subjectFor("NEWSLETTER_CONFIRM", {}),
    dedupeKey: `${id}:NEWSLETTER_CONFIRM:${now.getTime()}:${randomUUID()}`,
    payload: { subscriptionId: id, firstName: optIn.firstName },
  });
}

/**
 * Fresh confirm and unsubscribe tokens for a confirmation email being sent now; only
 * their hashes are stored, and they replace the earlier ones: the links of the newest
 * confirmation email are the ones that work. No confirm link once the address is
 * confirmed or unsubscribed; null when the subscription is gone.
 */
export async function issueNewsletterTokens(tx: Tx, subscriptionId: string): Promise<{ confirmToken: string | null; unsubscribeToken: string } | null> {
  const row = await tx.select({ status: newsletterSubscriptions.status }).from(newsletterSubscriptions).where(eq(newsletterSubscriptions.id, subscriptionId)).get();
  if (!row) return null;
  const confirmToken = row.status === "PENDING" ? newToken("newsletterConfirm") : null;
  const unsubscribeToken = newToken("newsletterUnsubscribe");
  await tx
    .update(newsletterSubscriptions)
    .set({ unsubscribeTokenHash: hashToken(unsubscribeToken), ...(confirmToken ? { confirmTokenHash: hashToken(confirmToken) } : {}) })
    .where(eq(newsletterSubscriptions.id, subscriptionId))
    .run();
  return { confirmToken, unsubscribeToken };
}

/** Confirms the subscription the token belongs to; false when the token is unknown or spent. */
export function confirmSubscription(db: Db, clock: Clock, token: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const row = await tx
      .update(newsletterSubscriptions)
      .set({ status: "CONFIRMED", confirmedAt: clock.now(), confirmTokenHash: null })
      .where(and(eq(newsletterSubscriptions.confirmTokenHash, hashToken(token)), eq(newsletterSubscriptions.status, "PENDING")))
      .returning({ id: newsletterSubscriptions.id })
      .get();
    return !!row;
  });
}

export function unsubscribe(db: Db, clock: Clock, token: string): Promise<boolean> {
  const hash = hashToken(token);
  return db.transaction(async (tx) => {
    const row = await tx
      .update(newsletterSubscriptions)
      .set({ status: "UNSUBSCRIBED", unsubscribedAt: clock.now(), confirmTokenHash: null })
      .where(eq(newsletterSubscriptions.unsubscribeTokenHash, hash))
      .returning({ id: newsletterSubscriptions.id })
      .get();
    return !!row;
  });
}

/** Confirmed subscribers in sign-up order, for export. */
export async function listConfirmedSubscribers(db: Db, first: number | null | undefined, after: string | null | undefined) {
  const size = pageSize(first);
  const cursor = decodeCursor("newsletterSubscribers", after);
  const confirmed = eq(newsletterSubscriptions.status, "CONFIRMED");
  const afterKey = cursor
    ? or(gt(newsletterSubscriptions.createdAt, new Date(cursor[0])), and(eq(newsletterSubscriptions.createdAt, new Date(cursor[0])), gt(newsletterSubscriptions.id, cursor[1])))
    : undefined;
  const rows = await db.select().from(newsletterSubscriptions).where(and(confirmed, afterKey)).orderBy(asc(newsletterSubscriptions.createdAt), asc(newsletterSubscriptions.id)).limit(size + 1).all();
  return toConnection("newsletterSubscribers", rows, size, cursor, (row) => [row.createdAt.getTime(), row.id], () => db.$count(newsletterSubscriptions, confirmed));
}
