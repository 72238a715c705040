import { randomBytes } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { and, asc, eq, gt, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { emailDeliveries } from "../db/tables.js";
import type { Deps } from "../deps.js";
import { loadEmailFacts, type DeliveryRow } from "./email-facts.js";
import { issueLinkTokens } from "./link-tokens.js";
import { attendanceExtrasFor } from "./attendance-mail.js";
import { composeMessage, renderEmail } from "./render.js";
import { attemptsAllowed, classifySendError, defaultRetryPolicy, retryDelayMs, type RetryPolicy } from "./retry-policy.js";
import type { MailLog, MailTransport } from "./transport.js";

/*
 * Delivery is at-least-once. A worker claims due rows by stamping `claimedUntil` (a
 * lease) and `claimedBy` (who it is) in one short transaction, sends them outside any
 * transaction, and records each outcome in a short transaction of its own, only while the
 * lease is still its own. Workers in several processes take disjoint batches: the claim
 * locks the rows it picks and skips those another claim holds (db.claimRows). The lease is short and renewed while the batch is being sent, so it never
 * runs out under a live worker mid-send. If the worker dies between claim and outcome:
 * - a worker on the same host takes the claims back at its next claim round, because the
 *   owner's process is gone (or its pid now belongs to a new boot of ours);
 * - anywhere else the lease runs out within `leaseMs` and the rows are due again.
 * Nothing is lost. The only duplicate left is a message the server accepted just before
 * the worker died; it carries the same Message-ID as the retry, so it is recognisable.
 */

/**
 * This process as a claim owner: `host:machine:pid:boot`. A pid only means something on
 * the same machine (kernel boot) and in the same pid namespace: two containers sharing a
 * hostname and the database file each have their own pid 1. So "machine" is the kernel's
 * boot id and pid namespace, and where /proc cannot tell them ("-"), no pid is judged and
 * only the lease decides. "boot" is random per process, because after a restart a new
 * process may get the dead one's pid.
 */
export const workerIdentity = `${hostname()}:${machineOfThisProcess() ?? "-"}:${process.pid}:${randomBytes(6).toString("hex")}`;

function machineOfThisProcess(): string | null {
  try {
    const kernelBoot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim().replaceAll("-", "");
    const pidNamespace = /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))?.[1];
    return kernelBoot && pidNamespace ? `${kernelBoot}.${pidNamespace}` : null;
  } catch {
    return null; // not Linux, or /proc is not mounted
  }
}

export interface DeliveryOptions {
  /** Rows claimed by one claim transaction. */
  batchSize: number;
  /**
   * How long a claim holds without renewal: how long the claims of a worker that died on
   * another host wait before another worker sends them.
   */
  leaseMs: number;
  /**
   * How often the rows of the batch being sent have their lease renewed (and each row once
   * more just before it is sent). Well below leaseMs, so a lease cannot run out mid-send
   * under a live worker even when its event loop is slow.
   */
  renewEveryMs: number;
  /** Messages in flight at once (the SMTP pool's connection count is a good match). */
  concurrency: number;
  /** Batches per call: bounds one worker step so the scheduler jobs still get their turn. */
  maxBatches: number;
  retry: RetryPolicy;
  random?: () => number;
}

export const defaultDeliveryOptions: DeliveryOptions = {
  batchSize: 25,
  leaseMs: 30_000,
  renewEveryMs: 10_000,
  concurrency: 5,
  maxBatches: 20,
  retry: defaultRetryPolicy,
};

export interface DeliveryRunSummary {
  claimed: number;
  sent: number;
  retrying: number;
  failed: number;
  /** Not sent by this worker: handed back at shutdown, or no longer ours (another worker took it after the lease ran out). */
  released: number;
}

const dueStatuses = ["QUEUED", "RETRYING"] as const;

function dueCondition(now: Date) {
  return and(inArray(emailDeliveries.status, [...dueStatuses]), lte(emailDeliveries.nextAttemptAt, now), or(isNull(emailDeliveries.claimedUntil), lte(emailDeliveries.claimedUntil, now)));
}

/**
 * Claims up to `batchSize` due deliveries in one transaction: two workers (or two
 * processes) can never claim the same row while its lease holds. The SELECT locks the rows
 * it picks and skips rows another claim has locked (PostgreSQL: FOR UPDATE SKIP LOCKED;
 * SQLite: the write lock runs claims one at a time), so concurrent claims take disjoint
 * batches instead of waiting for each other. Oldest first, so after an outage a
 * registrant's emails go out in the order they happened.
 */
export async function claimDueDeliveries(deps: Pick<Deps, "db" | "clock">, options: Pick<DeliveryOptions, "batchSize" | "leaseMs">, owner = workerIdentity): Promise<DeliveryRow[]> {
  const { db, clock } = deps;
  // Most steps find nothing due: only then is a transaction opened (every commit also
  // invalidates the response cache, so an idle worker must not commit on every step).
  const anyDue = await db.select({ id: emailDeliveries.id }).from(emailDeliveries).where(dueCondition(clock.now())).limit(1).get();
  if (!anyDue) return [];
  return db.transaction(async (tx) => {
    // Read under the claim's own locks: the time, too, is the claim's.
    const now = clock.now();
    const due = await db.claimRows(
      tx
        .select({ id: emailDeliveries.id })
        .from(emailDeliveries)
        .where(dueCondition(now))
        .orderBy(asc(emailDeliveries.createdAt), asc(emailDeliveries.id))
        .limit(options.batchSize),
    );
    if (due.length === 0) return [];
    // The rows are locked for this transaction; the condition is repeated all the same, so a
    // row can only be claimed while it is due and unclaimed.
    const claimed = await tx
      .update(emailDeliveries)
      .set({ claimedUntil: new Date(now.getTime() + options.leaseMs), claimedBy: owner })
      .where(and(inArray(emailDeliveries.id, due.map((row) => row.id)), dueCondition(now)))
      .returning()
      .all();
    // RETURNING follows no order on PostgreSQL: back to the claim's, oldest first.
    const position = new Map(due.map((row, index) => [row.id, index]));
    return claimed.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
  });
}

/** Whether the claim owner `claimedBy` is known to be dead: only decidable for owners in this machine's pid namespace. */
export function isDeadOwnerOnThisHost(claimedBy: string, self = workerIdentity): boolean {
  const [host, machine, pidText, bootId, ...rest] = claimedBy.split(":");
  const [selfHost, selfMachine, selfPid, selfBootId] = self.split(":");
  if (rest.length > 0 || !bootId || !pidText || !/^\d+$/.test(pidText)) return false;
  if (host !== selfHost || machine !== selfMachine || machine === "-") return false;
  // Our pid with another boot id: a process before us that had the same pid (a restarted service).
  if (pidText === selfPid) return bootId !== selfBootId;
  try {
    process.kill(Number(pidText), 0);
    return false;
  } catch (error) {
    // EPERM: the pid exists (another user's process); only ESRCH says nobody has it.
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Hands back at once the claims held by workers on this host whose process is gone, so a
 * restarted worker sends what its crashed predecessor had claimed without waiting for the
 * leases. Claims of live owners, and of owners on other hosts, are left to their leases.
 */
export async function releaseClaimsOfDeadWorkers(deps: Pick<Deps, "db" | "clock">, self = workerIdentity): Promise<number> {
  const { db, clock } = deps;
  const now = clock.now();
  // Read outside a transaction: almost always nobody is dead, and nothing is written.
  const owners = (
    await db
      .selectDistinct({ claimedBy: emailDeliveries.claimedBy })
      .from(emailDeliveries)
      .where(and(inArray(emailDeliveries.status, [...dueStatuses]), gt(emailDeliveries.claimedUntil, now)))
      .all()
  )
    .map((row) => row.claimedBy)
    .filter((owner): owner is string => owner !== null && isDeadOwnerOnThisHost(owner, self));
  if (owners.length === 0) return 0;
  // A dead owner renews nothing, so its claims cannot change meanwhile; a row it had already
  // recorded is no longer due and is left alone by the status condition.
  return db.transaction(
    async (tx) =>
      (
        await tx
          .update(emailDeliveries)
          .set({ claimedUntil: null, claimedBy: null })
          .where(and(inArray(emailDeliveries.claimedBy, owners), inArray(emailDeliveries.status, [...dueStatuses])))
          .run()
      ).changes,
  );
}

type Outcome = "sent" | "retrying" | "failed" | "released";

/**
 * The lease this worker holds on each row of the batch being sent, renewed as it goes.
 * Everything that reads a row's lease and then writes it (a renewal by the timer, the
 * renewal just before sending, the outcome's record, a release) runs one at a time per
 * row (`serially`): each awaits its own transaction, and two of them side by side would
 * both condition on the same lease, so the second would find it moved by the first and
 * take the row for lost (or record nothing).
 */
class Leases {
  private readonly held: Map<string, Date>;
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(rows: DeliveryRow[]) {
    this.held = new Map(rows.map((row) => [row.id, row.claimedUntil!]));
  }

  get(rowId: string): Date | undefined {
    return this.held.get(rowId);
  }

  set(rowId: string, lease: Date): void {
    this.held.set(rowId, lease);
  }

  delete(rowId: string): void {
    this.held.delete(rowId);
  }

  ids(): string[] {
    return [...this.held.keys()];
  }

  serially<T>(rowId: string, work: () => Promise<T>): Promise<T> {
    const result = (this.queues.get(rowId) ?? Promise.resolve()).then(work);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(rowId, settled);
    void settled.then(() => {
      if (this.queues.get(rowId) === settled) this.queues.delete(rowId);
    });
    return result;
  }
}

/**
 * Extends our claim on a row; false when it is no longer ours (released, or taken after it
 * ran out), null when we hold no lease on it any more (its outcome is recorded: nothing was lost).
 */
function renewLease(deps: Pick<Deps, "db" | "clock">, leases: Leases, rowId: string, options: Pick<DeliveryOptions, "leaseMs">, owner: string): Promise<boolean | null> {
  return leases.serially(rowId, async () => {
    const current = leases.get(rowId);
    if (!current) return null;
    const next = new Date(Math.max(current.getTime(), deps.clock.now().getTime() + options.leaseMs));
    const renewed = await deps.db.transaction(
      async (tx) =>
        (
          await tx
            .update(emailDeliveries)
            .set({ claimedUntil: next })
            .where(and(eq(emailDeliveries.id, rowId), eq(emailDeliveries.claimedBy, owner), eq(emailDeliveries.claimedUntil, current), inArray(emailDeliveries.status, [...dueStatuses])))
            .run()
        ).changes,
    );
    if (renewed === 0) {
      leases.delete(rowId);
      return false;
    }
    leases.set(rowId, next);
    return true;
  });
}

/** The row's condition while it is still ours, under the lease we hold. */
function stillOurs(rowId: string, owner: string, lease: Date) {
  return and(eq(emailDeliveries.id, rowId), eq(emailDeliveries.claimedBy, owner), eq(emailDeliveries.claimedUntil, lease), inArray(emailDeliveries.status, [...dueStatuses]));
}

/** Hands a row back at once (shutting down) rather than leaving it to wait for its lease to run out. */
function releaseLease(db: Deps["db"], leases: Leases, rowId: string, owner: string): Promise<void> {
  return leases.serially(rowId, async () => {
    const lease = leases.get(rowId);
    leases.delete(rowId);
    if (!lease) return;
    await db.transaction(async (tx) => {
      await tx.update(emailDeliveries).set({ claimedUntil: null, claimedBy: null }).where(stillOurs(rowId, owner, lease)).run();
    });
  });
}

/**
 * Renders from the current state of the database and hands the message to the transport.
 * A row that cannot be sent now (shutting down) is handed back at once rather than left to
 * wait for its lease to run out; one that is no longer ours is left to its new owner.
 * No transaction is open while the message is sent: the facts are read outside one, the
 * links' tokens are minted in a short one of their own before, and the outcome is recorded
 * in another after.
 */
async function deliverClaimed(deps: Deps, transport: MailTransport, row: DeliveryRow, options: DeliveryOptions, log: MailLog, leases: Leases, owner: string, stopping?: AbortSignal): Promise<Outcome> {
  const { db, clock, config } = deps;
  if (stopping?.aborted) {
    await releaseLease(db, leases, row.id, owner);
    return "released";
  }
  // A full lease ahead before the message goes out; a row that waited behind slow sends
  // and was taken over by another worker meanwhile is not sent a second time.
  if (!(await renewLease(deps, leases, row.id, options, owner))) return "released";
  const startedAt = clock.now();
  try {
    const facts = await loadEmailFacts(db, row);
    const extras = await attendanceExtrasFor(db, config, row, facts);
    const tokens = await db.transaction((tx) => issueLinkTokens(tx, row, facts, startedAt));
    const rendered = renderEmail(config, row, facts, startedAt, tokens, extras);
    await transport.send(composeMessage(config, row, rendered, startedAt));
  } catch (error) {
    const failure = classifySendError(error);
    const attempts = row.attempts + 1;
    const givingUp = attempts >= attemptsAllowed(options.retry, failure);
    await leases.serially(row.id, async () => {
      const now = clock.now();
      const lease = leases.get(row.id);
      leases.delete(row.id);
      // A claim lost mid-send (another worker has the row now) is theirs to record.
      if (!lease) return;
      await db.transaction(async (tx) => {
        await tx
          .update(emailDeliveries)
          .set({
            status: givingUp ? "FAILED" : "RETRYING",
            attempts: sql`${emailDeliveries.attempts} + 1`,
            lastError: failure.message,
            claimedUntil: null,
            claimedBy: null,
            nextAttemptAt: givingUp ? now : new Date(now.getTime() + retryDelayMs(options.retry, attempts, options.random)),
          })
          .where(stillOurs(row.id, owner, lease))
          .run();
      });
    });
    (givingUp ? log.error : log.warn).call(log, { deliveryId: row.id, kind: row.kind, attempts, permanent: failure.permanent, error: failure.message }, givingUp ? "email delivery failed for good" : "email delivery failed; will retry");
    return givingUp ? "failed" : "retrying";
  }
  await leases.serially(row.id, async () => {
    leases.delete(row.id);
    await recordSent(deps, row.id);
  });
  return "sent";
}

/**
 * Sent: no retry is pending any more, so no error or next attempt is left to show. The
 * message is out, so it is recorded even if the lease was lost meanwhile, and a busy
 * database (each try waits out the busy timeout, or the lock timeout) is tried again
 * rather than leaving the row to be claimed and sent a second time.
 */
async function recordSent({ db, clock }: Pick<Deps, "db" | "clock">, rowId: string, tries = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.transaction(async (tx) => {
        await tx
          .update(emailDeliveries)
          .set({ status: "SENT", sentAt: clock.now(), attempts: sql`${emailDeliveries.attempts} + 1`, claimedUntil: null, claimedBy: null, lastError: null })
          .where(and(eq(emailDeliveries.id, rowId), inArray(emailDeliveries.status, [...dueStatuses])))
          .run();
      });
      return;
    } catch (error) {
      if (attempt >= tries) throw error;
    }
  }
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
  const owner = workerIdentity;
  const summary: DeliveryRunSummary = { claimed: 0, sent: 0, retrying: 0, failed: 0, released: 0 };
  for (let batch = 0; batch < options.maxBatches && !stopping?.aborted; batch++) {
    const taken = await releaseClaimsOfDeadWorkers(deps, owner);
    if (taken > 0) log.warn({ deliveries: taken }, "took back emails claimed by a worker that is no longer running");
    const claimed = await claimDueDeliveries(deps, options, owner);
    if (claimed.length === 0) break;
    summary.claimed += claimed.length;
    const leases = new Leases(claimed);
    // One short transaction per row (not one for the batch): what is in `leases` always
    // matches what is committed. A round still running when the next is due is not doubled.
    let renewing: Promise<void> | null = null;
    const renewAll = async () => {
      for (const id of leases.ids()) {
        try {
          if ((await renewLease(deps, leases, id, options, owner)) === false) log.warn({ deliveryId: id }, "email claim lost before it was sent; another worker has it");
        } catch (error) {
          // A busy database this once: the next renewal comes well before the lease runs out.
          log.warn({ err: error, deliveryId: id }, "could not renew an email claim");
        }
      }
    };
    const renewal = setInterval(() => {
      renewing ??= renewAll().finally(() => {
        renewing = null;
      });
    }, options.renewEveryMs);
    renewal.unref();
    // One recipient's messages go one after another, in order; different recipients in parallel.
    const byRecipient = groupByRecipient(claimed);
    let next = 0;
    // A database error on one row (renewing or recording it) must not end its lane early:
    // the other lanes are still sending and need their leases renewed until they are done.
    const lane = async () => {
      while (next < byRecipient.length) {
        for (const row of byRecipient[next++]!) {
          try {
            summary[await deliverClaimed(deps, transport, row, options, log, leases, owner, stopping)]++;
          } catch (error) {
            leases.delete(row.id);
            summary.released++;
            log.error({ err: error, deliveryId: row.id, kind: row.kind }, "could not record an email's delivery; its lease will run out and it will be tried again");
          }
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(options.concurrency, byRecipient.length) }, lane));
    } finally {
      clearInterval(renewal);
      // A renewal round in flight finishes before the batch is done: none runs after the outcome.
      await (renewing as Promise<void> | null);
    }
  }
  return summary;
}
