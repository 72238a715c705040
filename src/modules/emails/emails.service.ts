import { and, count, desc, eq, inArray, lt, or, type SQL } from "drizzle-orm";
import { decodeCursor, pageSize, toConnection, type Connection } from "../../common/connection.js";
import { newId } from "../../common/ids.js";
import { messageIdFor } from "../../mail/outbox.js";
import type { Db } from "../../db/database.js";
import { emailDeliveries } from "../../db/tables.js";
import type { Clock } from "../../common/clock.js";
import type { EmailDeliveryRow } from "./emails.access.js";

export interface ListEmailDeliveriesOptions {
  status?: EmailDeliveryRow["status"][] | null;
  registrationId?: string | null;
  first?: number | null;
  after?: string | null;
}

/** The outbox, newest first, keyset-paginated on (createdAt, id). */
export async function listEmailDeliveries(db: Db, options: ListEmailDeliveriesOptions): Promise<Connection<EmailDeliveryRow>> {
  const size = pageSize(options.first);
  const after = decodeCursor("emailDeliveries", options.after);
  const conditions: SQL[] = [];
  if (options.status?.length) conditions.push(inArray(emailDeliveries.status, options.status));
  if (options.registrationId) conditions.push(eq(emailDeliveries.registrationId, options.registrationId));
  const where = and(...conditions);
  const afterKey = after
    ? or(lt(emailDeliveries.createdAt, new Date(after[0])), and(eq(emailDeliveries.createdAt, new Date(after[0])), lt(emailDeliveries.id, after[1])))
    : undefined;
  const rows = await db.select().from(emailDeliveries).where(and(where, afterKey)).orderBy(desc(emailDeliveries.createdAt), desc(emailDeliveries.id)).limit(size + 1).all();
  return toConnection("emailDeliveries", rows, size, after, (row) => [row.createdAt.getTime(), row.id], async () => (await db.select({ n: count() }).from(emailDeliveries).where(where).get())?.n ?? 0);
}

/** Queues a fresh copy of a delivery (a new Message-ID, attempts from zero); null when unknown. */
export function resendEmail(db: Db, clock: Clock, deliveryId: string): Promise<EmailDeliveryRow | null> {
  return db.transaction(async (tx) => {
    const original = await tx.select().from(emailDeliveries).where(eq(emailDeliveries.id, deliveryId)).get();
    if (!original) return null;
    const now = clock.now();
    const id = newId("emailDelivery");
    const copy = await tx
      .insert(emailDeliveries)
      .values({
        ...original,
        id,
        dedupeKey: `${original.dedupeKey}:resend:${id}`,
        status: "QUEUED",
        attempts: 0,
        nextAttemptAt: now,
        claimedUntil: null,
        claimedBy: null,
        lastError: null,
        messageId: messageIdFor(id),
        createdAt: now,
        sentAt: null,
      })
      .returning()
      .get();
    return copy!;
  });
}
