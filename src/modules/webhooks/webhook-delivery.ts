import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { and, eq, gt, inArray, isNull, lte, notInArray, or, sql } from "drizzle-orm";
import { HOUR_MS } from "../../common/time.js";
import { webhookDeliveries, webhookEndpoints, organisations } from "../../db/tables.js";
import { assertOutsideTransaction, type Tx } from "../../db/database.js";
import type { Deps } from "../../deps.js";
import { isDeadOwnerOnThisHost, workerIdentity } from "../../mail/deliver.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { subjectFor } from "../../mail/subjects.js";
import type { MailLog } from "../../mail/transport.js";
import { signatureHeader } from "./webhook-signing.js";
import { resolveDestination, UrlNotAllowedError, type Destination, type HostLookup } from "./webhook-url-policy.js";
import { failPendingDeliveries, type WebhookDeliveryRow, type WebhookEndpointRow } from "./webhooks.service.js";

/*
 * The worker's half of webhooks: claims due deliveries with a lease (as mail/deliver.ts
 * does for emails), signs and POSTs each one, and records the outcome with what it means
 * for the endpoint. At-least-once: a receiver that answered but whose answer was lost gets
 * the message again with the same webhook-id, which is how it recognises a repeat.
 *
 * - 15 s for the whole send, resolving the name included; redirects are not followed (a 3xx is a failure);
 *   2xx is success, anything else a failure, retried after the delays below (about 3 days
 *   in all), then FAILED.
 * - 410 Gone: the receiver says the endpoint is gone; it is DISABLED at once.
 * - Failures without a success in between for 24 h make the endpoint FAILING (still
 *   retried), for 5 days DISABLED; the owner is emailed at each step.
 * - Fair between endpoints: a claim takes each endpoint's oldest due message, then each
 *   one's second, and so on; an endpoint that failed in a run is not claimed from again in
 *   that run. One dead receiver with a backlog costs one timeout per run, not every batch.
 * - Workers in several processes: a claim is one short transaction that locks the rows it
 *   takes (PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent claims take disjoint batches)
 *   and stamps their lease. Sending happens outside any transaction; every later write
 *   (lease renewal, outcome, release) is its own short transaction that only changes a row
 *   still ours (stillOurs), so a row another worker took after our lease ran out is theirs.
 */

const MINUTE_MS = 60_000;

/** The wait after each failed attempt (1st, 2nd, …): 10 attempts over about 69 hours. */
export const webhookRetryDelaysMs = [5_000, 5 * MINUTE_MS, 30 * MINUTE_MS, 2 * HOUR_MS, 5 * HOUR_MS, 10 * HOUR_MS, 12 * HOUR_MS, 16 * HOUR_MS, 24 * HOUR_MS];
export const FAILING_AFTER_MS = 24 * HOUR_MS;
export const DISABLED_AFTER_MS = 5 * 24 * HOUR_MS;

export interface WebhookDeliveryOptions {
  batchSize: number;
  /**
   * Renewed before each send and again once the name is resolved; at least twice timeoutMs
   * (raised to that if less), so a send always ends while its row is still ours.
   */
  leaseMs: number;
  /** Endpoints sent to at once; one endpoint's messages go one after another. */
  concurrency: number;
  maxBatches: number;
  /** The deadline of one send: resolving the name and the POST together. */
  timeoutMs: number;
  /** How host names are resolved (the system resolver; tests pass one that never answers). */
  lookupHost?: HostLookup;
}

export const defaultWebhookDeliveryOptions: WebhookDeliveryOptions = { batchSize: 25, leaseMs: 60_000, concurrency: 5, maxBatches: 10, timeoutMs: 15_000 };

export interface WebhookRunSummary {
  claimed: number;
  succeeded: number;
  retrying: number;
  failed: number;
  released: number;
}

type Outcome = Exclude<keyof WebhookRunSummary, "claimed">;

const dueStatuses = ["PENDING", "RETRYING"] as const;

function due(now: Date) {
  return and(inArray(webhookDeliveries.status, [...dueStatuses]), lte(webhookDeliveries.nextAttemptAt, now), or(isNull(webhookDeliveries.claimedUntil), lte(webhookDeliveries.claimedUntil, now)));
}

/** Oldest first; of one createdAt, in the order queued (delivery ids are sequential: newSequentialId). */
function queuedOrder(a: WebhookDeliveryRow, b: WebhookDeliveryRow): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The next batch's ids, fairly: every endpoint's oldest due message comes before anyone's
 * second, so one endpoint's backlog cannot fill a batch while the others wait. Ties of
 * createdAt (one millisecond, or a test's clock) go by id, which webhook-messages.ts makes
 * sequential, so in the order they were queued. Not locked: FOR UPDATE cannot apply to a
 * query with a window function, so claimDue locks these rows next.
 */
async function dueCandidates(tx: Tx, now: Date, batchSize: number, skipped: ReadonlySet<string>): Promise<string[]> {
  const ranked = tx
    .select({
      id: webhookDeliveries.id,
      createdAt: webhookDeliveries.createdAt,
      turn: sql<number>`row_number() over (partition by ${webhookDeliveries.endpointId} order by ${webhookDeliveries.createdAt}, ${webhookDeliveries.id})`.as("turn"),
    })
    .from(webhookDeliveries)
    .where(and(due(now), skipped.size ? notInArray(webhookDeliveries.endpointId, [...skipped]) : undefined))
    .as("ranked");
  const rows = await tx.select({ id: ranked.id }).from(ranked).orderBy(sql`"turn"`, ranked.createdAt, ranked.id).limit(batchSize).all();
  return rows.map((row) => row.id);
}

/**
 * Claims the next batch in one transaction: picks the candidates, locks those still due
 * (rows another worker is claiming right now are skipped, not waited for; one it claimed
 * meanwhile is no longer due), and stamps our lease on them.
 * `skipped`: endpoints that failed earlier in this run; their messages wait for the next run.
 */
async function claimDue(deps: Deps, options: WebhookDeliveryOptions, owner: string, skipped: ReadonlySet<string>): Promise<WebhookDeliveryRow[]> {
  const now = deps.clock.now();
  const claimed = await deps.db.transaction(async (tx) => {
    const candidates = await dueCandidates(tx, now, options.batchSize, skipped);
    if (candidates.length === 0) return [];
    const locked = await deps.db.claimRows(tx.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(and(inArray(webhookDeliveries.id, candidates), due(now))));
    if (locked.length === 0) return [];
    return tx
      .update(webhookDeliveries)
      .set({ claimedUntil: new Date(now.getTime() + options.leaseMs), claimedBy: owner })
      .where(and(inArray(webhookDeliveries.id, locked.map((row) => row.id)), due(now)))
      .returning()
      .all();
  });
  // Each endpoint's lane sends its messages oldest first, in the order they were queued.
  return claimed.sort(queuedOrder);
}

function stillOurs(rowId: string, owner: string) {
  return and(eq(webhookDeliveries.id, rowId), eq(webhookDeliveries.claimedBy, owner), inArray(webhookDeliveries.status, [...dueStatuses]));
}

interface Response {
  status: number | null;
  /** What the delivery log shows the endpoint's owner. */
  error: string | null;
  /** For the server's log only (what a refused name resolved to). */
  detail?: string | null;
}

/** One POST to the checked address, never following a redirect, abandoned when the send's deadline passes. */
function post(destination: Destination, headers: Record<string, string>, body: string, deadline: AbortSignal, timeoutMs: number): Promise<{ status: number; snippet: string }> {
  // Up to 15 s of network: inside a transaction it would hold the writer (SQLite) or a pooled connection and the rows' locks.
  assertOutsideTransaction("a webhook POST");
  const { url, address, family } = destination;
  // Connect to the address that was checked, whatever the name resolves to by now.
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) (callback as unknown as (error: null, addresses: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(url, { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, lookup, agent: false, signal: deadline }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        if (size < 1024) chunks.push(chunk);
        size += chunk.length;
        // Only the start of an answer is kept for the log; the rest is not waited for.
        if (size >= 1024) response.destroy();
      });
      const done = () => resolve({ status: response.statusCode ?? 0, snippet: Buffer.concat(chunks).toString("utf8").slice(0, 500) });
      response.on("end", done);
      response.on("close", done);
      response.on("error", () => done());
    });
    request.on("error", (error) => reject(error.name === "AbortError" || error.name === "TimeoutError" ? new Error(`no response within ${timeoutMs / 1000} s`) : error));
    request.end(body);
  });
}

function failure(error: unknown): Response {
  if (error instanceof UrlNotAllowedError) return { status: null, error: error.message, detail: error.detail };
  const details = error as NodeJS.ErrnoException;
  return { status: null, error: `${details.code ? `${details.code}: ` : ""}${details.message ?? String(error)}`.slice(0, 1000) };
}

/**
 * Resolves, signs and POSTs, all within one deadline (timeoutMs). `renewLease` runs once the
 * name is resolved: false means another worker has the row now, and nothing is sent.
 */
async function send(deps: Deps, endpoint: WebhookEndpointRow, row: WebhookDeliveryRow, options: WebhookDeliveryOptions, renewLease: () => Promise<boolean>): Promise<Response | "released"> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  let destination: Destination;
  try {
    // Checked again at every send: a name may resolve elsewhere now than when the endpoint was made.
    destination = await resolveDestination(endpoint.url, deps.config.webhooksAllowPrivate, { signal: deadline, lookupHost: options.lookupHost });
  } catch (error) {
    return failure(error);
  }
  if (!(await renewLease())) return "released";
  const now = deps.clock.now();
  const secrets = [endpoint.secret];
  if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) secrets.push(endpoint.previousSecret);
  const timestamp = Math.floor(now.getTime() / 1000);
  const headers = {
    "content-type": "application/json",
    "user-agent": "event-registration-webhooks/1",
    "webhook-id": row.messageId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatureHeader(secrets, row.messageId, timestamp, row.payload),
  };
  try {
    const { status, snippet } = await post(destination, headers, row.payload, deadline, options.timeoutMs);
    if (status >= 200 && status < 300) return { status, error: null };
    const location = status >= 300 && status < 400 ? " (redirects are not followed)" : "";
    return { status, error: `HTTP ${status}${location}${snippet ? `: ${snippet}` : ""}`.slice(0, 1000) };
  } catch (error) {
    return failure(error);
  }
}

/** The owner's address: the organisation's contact email, or for an admin's endpoint the operator's (MAIL_FROM's address). */
async function ownerAddress(tx: Tx, deps: Deps, endpoint: WebhookEndpointRow): Promise<string | null> {
  if (endpoint.organisationId === null) return deps.config.mailFrom.replace(/^.*<([^>]+)>.*$/, "$1");
  return (await tx.select({ email: organisations.email }).from(organisations).where(eq(organisations.id, endpoint.organisationId)).get())?.email ?? null;
}

async function notifyOwner(tx: Tx, deps: Deps, endpoint: WebhookEndpointRow, status: "FAILING" | "DISABLED", since: Date, lastError: string | null): Promise<void> {
  const to = await ownerAddress(tx, deps, endpoint);
  if (!to) return;
  await enqueueEmail(tx, deps.clock, {
    kind: "WEBHOOK_ENDPOINT_FAILING",
    to,
    subject: subjectFor("WEBHOOK_ENDPOINT_FAILING", { disabled: status === "DISABLED" }),
    dedupeKey: `${endpoint.id}:WEBHOOK_ENDPOINT_FAILING:${status}:${since.getTime()}`,
    registrationId: null,
    payload: { url: endpoint.url, status, failingSince: since.toISOString(), lastError },
  });
}

/** Disables an endpoint: nothing more is sent to it, what was waiting is failed, the owner is told. */
async function disable(tx: Tx, deps: Deps, endpoint: WebhookEndpointRow, now: Date, reason: string, lastError: string | null): Promise<void> {
  await tx.update(webhookEndpoints).set({ status: "DISABLED", disabledReason: reason, updatedAt: now }).where(eq(webhookEndpoints.id, endpoint.id)).run();
  await failPendingDeliveries(tx, endpoint.id, now, `The endpoint was disabled: ${reason}`);
  await notifyOwner(tx, deps, endpoint, "DISABLED", endpoint.failingSince ?? now, lastError);
}

/** The send's outcome, in one short transaction; nothing when the row is no longer ours. */
function record(deps: Deps, row: WebhookDeliveryRow, response: Response, owner: string): Promise<Outcome> {
  return deps.db.transaction(async (tx): Promise<Outcome> => {
    const current = await tx.select().from(webhookDeliveries).where(stillOurs(row.id, owner)).get();
    if (!current) return "released";
    const endpoint = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, row.endpointId)).get();
    const now = deps.clock.now();
    const attempts = current.attempts + 1;
    const done = { attempts, claimedUntil: null, claimedBy: null, lastResponseStatus: response.status };
    if (response.error === null) {
      await tx.update(webhookDeliveries).set({ ...done, status: "SUCCEEDED", deliveredAt: now, lastError: null, nextAttemptAt: null }).where(eq(webhookDeliveries.id, row.id)).run();
      if (endpoint && (endpoint.failingSince || endpoint.status === "FAILING")) {
        await tx
          .update(webhookEndpoints)
          .set({ failingSince: null, status: endpoint.status === "FAILING" ? "ENABLED" : endpoint.status, updatedAt: now })
          .where(eq(webhookEndpoints.id, endpoint.id))
          .run();
      }
      return "succeeded";
    }
    if (response.status === 410) {
      await tx.update(webhookDeliveries).set({ ...done, status: "FAILED", lastError: response.error, nextAttemptAt: null }).where(eq(webhookDeliveries.id, row.id)).run();
      if (endpoint && endpoint.status !== "DISABLED") await disable(tx, deps, endpoint, now, "The receiver answered 410 Gone.", response.error);
      return "failed";
    }
    const givingUp = attempts > webhookRetryDelaysMs.length;
    await tx
      .update(webhookDeliveries)
      .set({ ...done, status: givingUp ? "FAILED" : "RETRYING", lastError: response.error, nextAttemptAt: givingUp ? null : new Date(now.getTime() + webhookRetryDelaysMs[attempts - 1]!) })
      .where(eq(webhookDeliveries.id, row.id))
      .run();
    if (endpoint && endpoint.status !== "DISABLED") {
      const since = endpoint.failingSince ?? now;
      const failingFor = now.getTime() - since.getTime();
      if (failingFor >= DISABLED_AFTER_MS) {
        await disable(tx, deps, { ...endpoint, failingSince: since }, now, "Deliveries failed for 5 days.", response.error);
      } else if (failingFor >= FAILING_AFTER_MS && endpoint.status === "ENABLED") {
        await tx.update(webhookEndpoints).set({ status: "FAILING", failingSince: since, updatedAt: now }).where(eq(webhookEndpoints.id, endpoint.id)).run();
        await notifyOwner(tx, deps, endpoint, "FAILING", since, response.error);
      } else if (!endpoint.failingSince) {
        await tx.update(webhookEndpoints).set({ failingSince: since }).where(eq(webhookEndpoints.id, endpoint.id)).run();
      }
    }
    return givingUp ? "failed" : "retrying";
  });
}

/** Hands our claims on these rows back (each one still ours), to be sent by a later run. */
async function releaseClaims(deps: Deps, rowIds: readonly string[], owner: string): Promise<void> {
  if (rowIds.length === 0) return;
  await deps.db.transaction(async (tx) => {
    for (const rowId of rowIds) await tx.update(webhookDeliveries).set({ claimedUntil: null, claimedBy: null }).where(stillOurs(rowId, owner)).run();
  });
}

async function deliverOne(deps: Deps, row: WebhookDeliveryRow, options: WebhookDeliveryOptions, owner: string, log: MailLog, stopping?: AbortSignal): Promise<Outcome> {
  if (stopping?.aborted) {
    await releaseClaims(deps, [row.id], owner);
    return "released";
  }
  // A full lease ahead of the send (and again after the lookup); a row another worker took meanwhile is not sent twice.
  const renewLease = () =>
    deps.db.transaction(
      async (tx) =>
        (
          await tx
            .update(webhookDeliveries)
            .set({ claimedUntil: new Date(deps.clock.now().getTime() + options.leaseMs) })
            .where(stillOurs(row.id, owner))
            .run()
        ).changes > 0,
    );
  if (!(await renewLease())) return "released";
  const endpoint = await deps.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, row.endpointId)).get();
  if (!endpoint || endpoint.status === "DISABLED") {
    await deps.db.transaction(async (tx) => {
      await tx.update(webhookDeliveries).set({ status: "FAILED", lastError: "The endpoint is disabled.", nextAttemptAt: null, claimedUntil: null, claimedBy: null }).where(stillOurs(row.id, owner)).run();
    });
    return "failed";
  }
  // Outside any transaction: the send may take up to timeoutMs.
  const response = await send(deps, endpoint, row, options, renewLease);
  if (response === "released") return "released";
  const outcome = await record(deps, row, response, owner);
  if (response.error !== null) log.warn({ deliveryId: row.id, endpointId: endpoint.id, status: response.status, error: response.error, detail: response.detail ?? undefined, outcome }, "webhook delivery failed");
  return outcome;
}

/**
 * Hands back at once the claims of workers on this host that are no longer running (a
 * SIGKILLed worker's batch), as the mail outbox does: otherwise they wait out their lease.
 */
export async function releaseWebhookClaimsOfDeadWorkers(deps: Pick<Deps, "db" | "clock">, self = workerIdentity): Promise<number> {
  const now = deps.clock.now();
  const owners = (
    await deps.db
      .selectDistinct({ claimedBy: webhookDeliveries.claimedBy })
      .from(webhookDeliveries)
      .where(and(inArray(webhookDeliveries.status, [...dueStatuses]), gt(webhookDeliveries.claimedUntil, now)))
      .all()
  )
    .map((row) => row.claimedBy)
    .filter((claimant): claimant is string => claimant !== null && isDeadOwnerOnThisHost(claimant, self));
  if (owners.length === 0) return 0;
  return deps.db.transaction(
    async (tx) =>
      (
        await tx
          .update(webhookDeliveries)
          .set({ claimedUntil: null, claimedBy: null })
          .where(and(inArray(webhookDeliveries.claimedBy, owners), inArray(webhookDeliveries.status, [...dueStatuses])))
          .run()
      ).changes,
  );
}

/** Claims and sends due webhook deliveries, batch after batch, until none are due or maxBatches is reached. */
export async function deliverDueWebhooks(deps: Deps, log: MailLog, overrides: Partial<WebhookDeliveryOptions> = {}, stopping?: AbortSignal): Promise<WebhookRunSummary> {
  const merged = { ...defaultWebhookDeliveryOptions, ...overrides };
  const options = { ...merged, leaseMs: Math.max(merged.leaseMs, 2 * merged.timeoutMs) };
  const owner = workerIdentity;
  const summary: WebhookRunSummary = { claimed: 0, succeeded: 0, retrying: 0, failed: 0, released: 0 };
  const failedEndpoints = new Set<string>();
  await releaseWebhookClaimsOfDeadWorkers(deps, owner);
  for (let batch = 0; batch < options.maxBatches && !stopping?.aborted; batch++) {
    const claimed = await claimDue(deps, options, owner, failedEndpoints);
    if (claimed.length === 0) break;
    summary.claimed += claimed.length;
    const byEndpoint = new Map<string, WebhookDeliveryRow[]>();
    for (const row of claimed) byEndpoint.set(row.endpointId, [...(byEndpoint.get(row.endpointId) ?? []), row]);
    const lanes = [...byEndpoint.values()];
    let next = 0;
    const lane = async () => {
      while (next < lanes.length) {
        const rows = lanes[next++]!;
        for (let index = 0; index < rows.length; index++) {
          const row = rows[index]!;
          let outcome: Outcome;
          try {
            outcome = await deliverOne(deps, row, options, owner, log, stopping);
          } catch (error) {
            // Its lease runs out and it is tried again.
            outcome = "released";
            log.error({ err: error, deliveryId: row.id }, "could not record a webhook delivery");
          }
          summary[outcome]++;
          // A receiver that just failed (down, or slow up to the timeout) is not tried again
          // in this run: its other messages are handed back, and later batches skip it.
          if (outcome === "retrying" || outcome === "failed") {
            failedEndpoints.add(row.endpointId);
            const rest = rows.slice(index + 1);
            await releaseClaims(deps, rest.map((other) => other.id), owner);
            summary.released += rest.length;
            break;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, lanes.length) }, lane));
  }
  return summary;
}
