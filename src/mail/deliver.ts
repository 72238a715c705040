import { and, asc, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { emailDeliveries } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { loadEmailFacts, type DeliveryRow } from "./email-facts.js";
import { issueLinkTokens } from "./link-tokens.js";
import { composeMessage, renderEmail } from "./render.js";
import { attemptsAllowed, classifySendError, defaultRetryPolicy, retryDelayMs, type RetryPolicy } from "./retry-policy.js";
import { smtpTimeouts, type MailLog, type MailTransport } from "./transport.js";

/*
 * Delivery is at-least-once. A worker claims due rows by stamping `claimedUntil` (a
 * lease) in one UPDATE … RETURNING, sends them, and records the outcome. If it dies
 * between claim and outcome the lease simply runs out and the rows are due again: nothing
 * is lost. The only duplicate left is a message the server accepted just before the
 * worker died; it carries the same Message-ID as the retry, so it is recognisable.
 */

export interface DeliveryOptions {
  /** Rows claimed by one UPDATE. */
  batchSize: number;
  /** How long a claim holds. Must exceed the time a batch can take. */
  leaseMs: number;
  /** Messages in flight at once (the SMTP pool's connection count is a good match). */
  concurrency: number;
  /**
   * The transport's deadline for one message. A row whose lease has less time left than
   * this is handed back instead of sent, so a lease never runs out mid-send and no other
   * worker can send it a second time.
   */
  sendTimeoutMs: number;
  /** Batches per call: bounds one worker step so the scheduler jobs still get their turn. */
  maxBatches: number;
  retry: RetryPolicy;
  random?: () => number;
}

export const defaultDeliveryOptions: DeliveryOptions = {
  batchSize: 25,
  leaseMs: 5 * 60_000,
  concurrency: 5,
  sendTimeoutMs: smtpTimeouts.sendTimeout,
  maxBatches: 20,
  retry: defaultRetryPolicy,
};

export interface DeliveryRunSummary {
  claimed: number;
  sent: number;
  retrying: number;
  failed: number;
  /** Handed back unsent because their lease was too short to finish (a slow batch). */
  released: number;
}

const dueStatuses = ["QUEUED", "RETRYING"] as const;

function dueCondition(now: Date) {
  return and(inArray(emailDeliveries.status, [...dueStatuses]), lte(emailDeliveries.nextAttemptAt, now), or(isNull(emailDeliveries.claimedUntil), lte(emailDeliveries.claimedUntil, now)));
}

/**
 * Claims up to `batchSize` due deliveries in a single statement: two workers (or two
 * processes) can never claim the same row while its lease holds. Oldest first, so after
 * an outage a registrant's emails go out in the order they happened.
 */
export function claimDueDeliveries(deps: Pick<Deps, "db" | "clock">, options: Pick<DeliveryOptions, "batchSize" | "leaseMs">): DeliveryRow[] {
  const now = deps.clock.now();
  const claimedUntil = new Date(now.getTime() + options.leaseMs);
  const due = deps.db
    .select({ id: emailDeliveries.id })
    .from(emailDeliveries)
    .where(dueCondition(now))
    .orderBy(asc(emailDeliveries.createdAt), asc(emailDeliveries.id))
    .limit(options.batchSize);
  // The condition is repeated outside the subquery for databases that re-check rows at UPDATE time.
  return deps.db
    .update(emailDeliveries)
    .set({ claimedUntil })
    .where(and(inArray(emailDeliveries.id, due), dueCondition(now)))
    .returning()
    .all();
}

type Outcome = "sent" | "retrying" | "failed" | "released";

/**
 * Renders from the current state of the database and hands the message to the transport.
 * A row that cannot be sent now (shutting down, or too little lease left) is handed back
 * at once rather than left to wait for its lease to run out.
 */
async function deliverClaimed(deps: Deps, transport: MailTransport, row: DeliveryRow, options: DeliveryOptions, log: MailLog, stopping?: AbortSignal): Promise<Outcome> {
  const { db, clock, config } = deps;
  const lease = row.claimedUntil!;
  const stillOurs = and(eq(emailDeliveries.id, row.id), eq(emailDeliveries.claimedUntil, lease), inArray(emailDeliveries.status, [...dueStatuses]));
  const startedAt = clock.now();
  if (stopping?.aborted || lease.getTime() - startedAt.getTime() < options.sendTimeoutMs) {
    db.update(emailDeliveries).set({ claimedUntil: null }).where(stillOurs).run();
    return "released";
  }
  try {
    const facts = loadEmailFacts(db, row);
    const rendered = renderEmail(config, row, facts, startedAt, issueLinkTokens(db, row, facts, startedAt));
    await transport.send(composeMessage(config, row, rendered, startedAt));
  } catch (error) {
    const failure = classifySendError(error);
    const attempts = row.attempts + 1;
    const givingUp = attempts >= attemptsAllowed(options.retry, failure);
    const now = clock.now();
    db.update(emailDeliveries)
      .set({
        status: givingUp ? "FAILED" : "RETRYING",
        attempts: sql`${emailDeliveries.attempts} + 1`,
        lastError: failure.message,
        claimedUntil: null,
        nextAttemptAt: givingUp ? now : new Date(now.getTime() + retryDelayMs(options.retry, attempts, options.random)),
      })
      .where(stillOurs)
      .run();
    (givingUp ? log.error : log.warn).call(log, { deliveryId: row.id, kind: row.kind, attempts, permanent: failure.permanent, error: failure.message }, givingUp ? "email delivery failed for good" : "email delivery failed; will retry");
    return givingUp ? "failed" : "retrying";
  }
  db.update(emailDeliveries)
    .set({ status: "SENT", sentAt: clock.now(), attempts: sql`${emailDeliveries.attempts} + 1`, claimedUntil: null })
    .where(and(eq(emailDeliveries.id, row.id), inArray(emailDeliveries.status, [...dueStatuses])))
    .run();
  return "sent";
}

function groupByRecipient(rows: DeliveryRow[]): DeliveryRow[][] {
  const groups = new Map<string, DeliveryRow[]>();
  for (const row of rows) {
    const key = row.to.toLowerCase();
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()];
}

/**
 * Claims and sends due deliveries, batch after batch, until none are due or maxBatches is
 * reached. When `stopping` aborts (shutdown), messages already handed to the transport
 * finish and are recorded; the rest of the batch is released and no new batch is claimed.
 */
export async function deliverDueEmails(deps: Deps, transport: MailTransport, log: MailLog, overrides: Partial<DeliveryOptions> = {}, stopping?: AbortSignal): Promise<DeliveryRunSummary> {
  const options: DeliveryOptions = { ...defaultDeliveryOptions, ...overrides };
  const summary: DeliveryRunSummary = { claimed: 0, sent: 0, retrying: 0, failed: 0, released: 0 };
  for (let batch = 0; batch < options.maxBatches && !stopping?.aborted; batch++) {
    const claimed = claimDueDeliveries(deps, options);
    if (claimed.length === 0) break;
    summary.claimed += claimed.length;
    // One recipient's messages go one after another, in order; different recipients in parallel.
    const byRecipient = groupByRecipient(claimed);
    let next = 0;
    const lane = async () => {
      while (next < byRecipient.length) {
        for (const row of byRecipient[next++]!) summary[await deliverClaimed(deps, transport, row, options, log, stopping)]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, byRecipient.length) }, lane));
  }
  return summary;
}
