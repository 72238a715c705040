import { desc, eq } from "drizzle-orm";
import { mintManageToken } from "../auth/manage-tokens.js";
import { normalizeEmail } from "../common/validate.js";
import { events, newsletterSubscriptions, registrations } from "../db/tables.js";
import { issueNewsletterTokens } from "../modules/newsletter/newsletter.service.js";
import { mintSignInLink } from "../modules/registrant-session/registrant-session.service.js";
import type { DeliveryRow, EmailFacts } from "./email-facts.js";
import type { Writer } from "./outbox.js";

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

export function issueLinkTokens(db: Writer, delivery: DeliveryRow, facts: EmailFacts, now: Date): LinkTokens {
  const { registration, event } = facts;
  const toRegistrant = !!registration && !!event && delivery.to.toLowerCase() === registration.email.toLowerCase();
  const payload = delivery.payload;
  let signIn: LinkTokens["signIn"] = null;
  if (delivery.kind === "REGISTRANT_SIGN_IN") {
    const emailNormalized = typeof payload.emailNormalized === "string" ? payload.emailNormalized : normalizeEmail(delivery.to);
    signIn = { ...mintSignInLink(db, emailNormalized, now), zone: registrantZone(db, emailNormalized) };
  }
  let newsletter: LinkTokens["newsletter"] = null;
  if (delivery.kind === "NEWSLETTER_CONFIRM") {
    // Rows queued before links were minted at send time name no subscription: find it by address.
    const subscriptionId = typeof payload.subscriptionId === "string" ? payload.subscriptionId : subscriptionIdFor(db, normalizeEmail(delivery.to));
    if (subscriptionId) newsletter = issueNewsletterTokens(db, subscriptionId);
  }
  return {
    manageToken: toRegistrant ? mintManageToken(db, registration, event.endsAt, now) : null,
    signIn,
    newsletter,
  };
}

function subscriptionIdFor(db: Writer, emailNormalized: string): string | null {
  return db.select({ id: newsletterSubscriptions.id }).from(newsletterSubscriptions).where(eq(newsletterSubscriptions.emailNormalized, emailNormalized)).get()?.id ?? null;
}

/** The zone of the person's latest course: what their other emails tell times in. */
function registrantZone(db: Writer, emailNormalized: string): string {
  const row = db
    .select({ zone: events.timeZone })
    .from(registrations)
    .innerJoin(events, eq(events.id, registrations.eventId))
    .where(eq(registrations.emailNormalized, emailNormalized))
    .orderBy(desc(events.startsAt))
    .limit(1)
    .get();
  return row?.zone ?? "UTC";
}
