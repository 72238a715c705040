import { emailDeliveries } from "../db/tables.js";
import type { Tx } from "../db/database.js";
import type { Clock } from "../common/clock.js";
import { newId } from "../common/ids.js";
import type { EmailKind } from "../common/enums.js";

/** A transaction's handle: everything that writes takes one. */
export type Writer = Tx;

export interface OutboxMessage {
  kind: `${EmailKind}`;
  to: string;
  subject: string;
  /**
   * One delivery per occasion: "reg_…:BOOKING_CONFIRMED:initial". Enqueuing the same key
   * twice (a retried request, a scheduler run twice) is a no-op.
   */
  dedupeKey: string;
  registrationId?: string | null;
  /** Facts the template needs that are not in the database afterwards (a reason). Never a token: links are minted at send time (link-tokens.ts). */
  payload?: Record<string, unknown>;
}

/** Every attempt of a delivery carries this Message-ID, so a retried copy is recognisable. */
export function messageIdFor(deliveryId: string): string {
  return `<${deliveryId}@event-registration>`;
}

/**
 * Writes an email to the outbox. Call it inside the transaction of the change that
 * causes it: the email exists if and only if the change committed.
 */
export async function enqueueEmail(tx: Writer, clock: Clock, message: OutboxMessage): Promise<void> {
  await tx.insert(emailDeliveries).values(deliveryRow(clock, message)).onConflictDoNothing({ target: emailDeliveries.dedupeKey }).run();
}

/** The outbox row of a message, queued now: what enqueueEmail (and register's prepared insert) writes. */
export function deliveryRow(clock: Clock, message: OutboxMessage) {
  const now = clock.now();
  const id = newId("emailDelivery");
  return {
    id,
    dedupeKey: message.dedupeKey,
    registrationId: message.registrationId ?? null,
    kind: message.kind,
    to: message.to,
    subject: message.subject,
    payload: message.payload ?? {},
    status: "QUEUED" as const,
    attempts: 0,
    nextAttemptAt: now,
    messageId: messageIdFor(id),
    createdAt: now,
  };
}
