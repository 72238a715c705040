import { desc, eq } from "drizzle-orm";
import { mintManageToken } from "../auth/manage-tokens.js";
import { normalizeEmail } from "../common/validate.js";
import { events, newsletterSubscriptions, registrations } from "../db/tables.js";
import { issueNewsletterTokens } from "../modules/newsletter/newsletter.service.js";
import { mintSignInLink } from "../modules/registrant-session/registrant-session.service.js";
import type { DeliveryRow, EmailFacts } from "./email-facts.js";
import type { Reads, Tx } from "../db/database.js";

/*
 * The tokens an email's links carry are minted when it is sent, never when it is queued:
 * the outbox holds no live credential, only the hashes are stored, and a message is
 * rendered straight to the transport without being written back. A retried or resent
 * delivery gets fresh tokens (a resent sign-in email works even if the first was spent).
 */

export interface LinkTokens {
  /** The registrant's own manage token, for every email to the registrant. */
  manageToken: string | null;
  /** A single-use sign-in link, with the zone its expiry is told in. */
  signIn: { token: string; expiresAt: Date; zone: string } | null;
  newsletter: { confirmToken: string | null; unsubscribeToken: string } | null;
}

export const noLinkTokens: LinkTokens = { manageToken: null, signIn: null, newsletter: null };

/** Writes the tokens' hashes in `tx`: a short transaction of its own, committed before the message is sent. */
export async function issueLinkTokens(tx: Tx, delivery: DeliveryRow, facts: EmailFacts, now: Date): Promise<LinkTokens> {
  const { registration, event } = facts;
  const toRegistrant = !!registration && !!event && delivery.to.toLowerCase() === registration.email.toLowerCase();
  const payload = delivery.payload;
  let signIn: LinkTokens["signIn"] = null;
  if (delivery.kind === "REGISTRANT_SIGN_IN") {
    const emailNormalized = typeof payload.emailNormalized === "string" ? payload.emailNormalized : normalizeEmail(delivery.to);
    signIn = { ...(await mintSignInLink(tx, emailNormalized, now)), zone: await registrantZone(tx, emailNormalized) };
  }
  let newsletter: LinkTokens["newsletter"] = null;
  if (delivery.kind === "NEWSLETTER_CONFIRM") {
    // Rows queued before links were minted at send time name no subscription: find it by address.
    const subscriptionId = typeof payload.subscriptionId === "string" ? payload.subscriptionId : (await subscriptionIdFor(tx, normalizeEmail(delivery.to)));
    if (subscriptionId) newsletter = await issueNewsletterTokens(tx, subscriptionId);
  }
  return {
    manageToken: toRegistrant ? await mintManageToken(tx, registration, event.endsAt, now) : null,
    signIn,
    newsletter,
  };
}

async function subscriptionIdFor(db: Reads, emailNormalized: string): Promise<string | null> {
  return (await db.select({ id: newsletterSubscriptions.id }).from(newsletterSubscriptions).where(eq(newsletterSubscriptions.emailNormalized, emailNormalized)).get())?.id ?? null;
}

/** The zone of the person's latest course: what their other emails tell times in. */
async function registrantZone(db: Reads, emailNormalized: string): Promise<string> {
  const row = await db
    .select({ zone: events.timeZone })
    .from(registrations)
    .innerJoin(events, eq(events.id, registrations.eventId))
    .where(eq(registrations.emailNormalized, emailNormalized))
    .orderBy(desc(events.startsAt))
    .limit(1)
    .get();
  return row?.zone ?? "UTC";
}
