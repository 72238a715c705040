import { DAY_MS } from "../common/time.js";
import { registrantTokens } from "../db/tables.js";
import type { Tx } from "../db/database.js";
import { hashToken, newToken } from "./tokens.js";

/*
 * A manage token opens one registration: the one `register` returns (its hash is
 * registrations.manage_token_hash) and the ones minted for each email's manage link at
 * send time (registrant_tokens, kind MANAGE). None is ever stored in clear. They stop
 * working a year after the course: long enough for receipts and certificates, short
 * enough that an old mailbox or backup does not open bookings for ever.
 */

/** How long after the event's last session ends a manage link keeps working. */
export const MANAGE_LINK_DAYS_AFTER_EVENT = 365;

/** The instant a manage token of this event stops working (the event's current end, so moving the course moves it too). */
export function manageLinkExpiresAt(eventEndsAt: Date): Date {
  return new Date(eventEndsAt.getTime() + MANAGE_LINK_DAYS_AFTER_EVENT * DAY_MS);
}

/** Mints a manage token for one registration, in `tx`; only its hash is written. */
export async function mintManageToken(tx: Tx, registration: { id: string; emailNormalized: string }, eventEndsAt: Date, now: Date): Promise<string> {
  const token = newToken("manageToken");
  await tx
    .insert(registrantTokens)
    .values({ hash: hashToken(token), kind: "MANAGE", emailNormalized: registration.emailNormalized, registrationId: registration.id, createdAt: now, expiresAt: manageLinkExpiresAt(eventEndsAt) })
    .run();
  return token;
}
