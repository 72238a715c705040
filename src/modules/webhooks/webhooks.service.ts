import { and, count, desc, eq, inArray, isNull, lt, lte, or, type SQL } from "drizzle-orm";
import { decodeCursor, pageSize, toConnection, type Connection } from "../../common/connection.js";
import { DomainError } from "../../common/errors.js";
import { newId, newSequentialId } from "../../common/ids.js";
import { HOUR_MS } from "../../common/time.js";
import { InputChecker, limits } from "../../common/validate.js";
import type { Reads, Tx } from "../../db/database.js";
import { organisations, webhookDeliveries, webhookEndpoints, webhookEventTypes } from "../../db/tables.js";
import type { Deps } from "../../deps.js";
import { enqueuePing, type WebhookEventTypeName } from "./webhook-messages.js";
import { newSigningSecret } from "./webhook-signing.js";
import { resolveDestination } from "./webhook-url-policy.js";

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

/** Who manages endpoints: an admin (every endpoint) or one organisation (its own). */
export type WebhookOwner = { kind: "ADMIN" } | { kind: "ORGANISATION"; organisationId: string };

/** How long the secret before a rotation still signs. */
export const ROTATION_OVERLAP_MS = 24 * HOUR_MS;
/** How long the delivery log keeps a finished delivery. */
export const DELIVERY_LOG_RETENTION_MS = 30 * 24 * HOUR_MS;

const MAX_ENDPOINTS_PER_OWNER = 20;

export interface EndpointInput {
  url?: string | null;
  eventTypes?: WebhookEventTypeName[] | null;
  description?: string | null;
}

function ownerScope(owner: WebhookOwner): SQL | undefined {
  if (owner.kind === "ADMIN") return undefined;
  return eq(webhookEndpoints.organisationId, owner.organisationId);
}

export function listEndpoints(db: Reads, owner: WebhookOwner): Promise<WebhookEndpointRow[]> {
  return db.select().from(webhookEndpoints).where(ownerScope(owner)).orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id)).all();
}

/** The endpoint if the owner may manage it; another organisation's is reported as missing. */
async function endpointOf(db: Reads, owner: WebhookOwner, id: string, field: string[] = ["id"]): Promise<WebhookEndpointRow> {
  const row = await db.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.id, id), ownerScope(owner))).get();
  if (!row) throw new DomainError("NOT_FOUND", "No webhook endpoint has this id.", field);
  return row;
}

function checkEventTypes(check: InputChecker, types: WebhookEventTypeName[]): WebhookEventTypeName[] {
  const unique = [...new Set(types)];
  if (unique.length === 0) check.add("REQUIRED", "Subscribe to at least one event type.", ["input", "eventTypes"]);
  if (unique.some((type) => !(webhookEventTypes as readonly string[]).includes(type))) check.add("INVALID", "Unknown event type.", ["input", "eventTypes"]);
  return unique;
}

/** How long a request waits for the URL's name to resolve. */
const URL_CHECK_DEADLINE_MS = 10_000;

/** Validates the URL (scheme and every address it resolves to) outside any transaction: DNS is network I/O. */
async function checkedUrl(deps: Deps, url: string): Promise<string> {
  const destination = await resolveDestination(url, deps.config.webhooksAllowPrivate, { field: ["input", "url"], signal: AbortSignal.timeout(URL_CHECK_DEADLINE_MS) });
  return destination.url.href;
}

export async function createEndpoint(deps: Deps, owner: WebhookOwner, input: EndpointInput & { url: string; eventTypes: WebhookEventTypeName[]; organisationId?: string | null }): Promise<{ endpoint: WebhookEndpointRow; signingSecret: string }> {
  const check = new InputChecker();
  const description = check.text(["input", "description"], input.description, limits.shortText);
  const eventTypes = checkEventTypes(check, input.eventTypes);
  check.throwIfAny();
  const organisationId = owner.kind === "ORGANISATION" ? owner.organisationId : (input.organisationId ?? null);
  if (owner.kind === "ORGANISATION" && input.organisationId && input.organisationId !== owner.organisationId) {
    throw new DomainError("INVALID", "A partner's secret key creates endpoints for its own organisation only; leave organisationId out.", ["input", "organisationId"]);
  }
  const url = await checkedUrl(deps, input.url);
  const signingSecret = newSigningSecret();
  const endpoint = await deps.db.transaction(async (tx) => {
    if (organisationId !== null && !(await tx.select({ id: organisations.id }).from(organisations).where(eq(organisations.id, organisationId)).get())) {
      throw new DomainError("NOT_FOUND", "No organisation has this id.", ["input", "organisationId"]);
    }
    const existing = (await tx
      .select({ n: count() })
      .from(webhookEndpoints)
      .where(organisationId === null ? isNull(webhookEndpoints.organisationId) : eq(webhookEndpoints.organisationId, organisationId))
      .get())!.n;
    if (existing >= MAX_ENDPOINTS_PER_OWNER) throw new DomainError("INVALID", `At most ${MAX_ENDPOINTS_PER_OWNER} webhook endpoints per organisation.`, ["input"]);
    const now = deps.clock.now();
    return (await tx
      .insert(webhookEndpoints)
      .values({ id: newId("webhookEndpoint"), organisationId, url, description, eventTypes, status: "ENABLED", secret: signingSecret, createdAt: now, updatedAt: now })
      .returning()
      .get())!;
  });
  return { endpoint, signingSecret };
}

/** Deliveries still waiting for an endpoint that will not be sent to: recorded as failed, so the log says why. */
export async function failPendingDeliveries(tx: Tx, endpointId: string, now: Date, reason: string): Promise<void> {
  await tx.update(webhookDeliveries)
    .set({ status: "FAILED", lastError: reason, nextAttemptAt: null, claimedUntil: null, claimedBy: null })
    .where(and(eq(webhookDeliveries.endpointId, endpointId), inArray(webhookDeliveries.status, ["PENDING", "RETRYING"])))
    .run();
}

export async function updateEndpoint(deps: Deps, owner: WebhookOwner, id: string, input: EndpointInput & { enabled?: boolean | null }): Promise<WebhookEndpointRow> {
  const check = new InputChecker();
  const description = input.description === undefined ? undefined : check.text(["input", "description"], input.description, limits.shortText);
  const eventTypes = input.eventTypes == null ? undefined : checkEventTypes(check, input.eventTypes);
  check.throwIfAny();
  // Unknown ids are reported before the URL is resolved.
  await endpointOf(deps.db, owner, id);
  const url = input.url == null ? undefined : await checkedUrl(deps, input.url);
  return deps.db.transaction(async (tx) => {
    const existing = await endpointOf(tx, owner, id);
    const now = deps.clock.now();
    const changes: Partial<WebhookEndpointRow> = { updatedAt: now };
    if (url !== undefined) changes.url = url;
    if (description !== undefined) changes.description = description;
    if (eventTypes !== undefined) changes.eventTypes = eventTypes;
    if (input.enabled === true && existing.status === "DISABLED") Object.assign(changes, { status: "ENABLED", failingSince: null, disabledReason: null });
    if (input.enabled === false && existing.status !== "DISABLED") {
      Object.assign(changes, { status: "DISABLED", disabledReason: "Disabled by its owner." });
      await failPendingDeliveries(tx, id, now, "The endpoint was disabled.");
    }
    return (await tx.update(webhookEndpoints).set(changes).where(eq(webhookEndpoints.id, id)).returning().get())!;
  });
}

export function deleteEndpoint(deps: Deps, owner: WebhookOwner, id: string): Promise<WebhookEndpointRow> {
  return deps.db.transaction(async (tx) => {
    const existing = await endpointOf(tx, owner, id);
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).run();
    return existing;
  });
}

/**
 * A new secret; the one it replaces keeps signing (as a second signature) for 24 hours.
 * One overlap at a time: a second rotation within it would silently drop the secret a
 * receiver may still verify with, so it is refused until the overlap ends.
 */
export async function rotateSecret(deps: Deps, owner: WebhookOwner, id: string): Promise<{ endpoint: WebhookEndpointRow; signingSecret: string }> {
  const signingSecret = newSigningSecret();
  const endpoint = await deps.db.transaction(async (tx) => {
    const existing = await endpointOf(tx, owner, id);
    const now = deps.clock.now();
    if (existing.previousSecret && existing.previousSecretExpiresAt && existing.previousSecretExpiresAt > now) {
      throw new DomainError(
        "INVALID_STATE",
        `The secret replaced by the last rotation still signs until ${existing.previousSecretExpiresAt.toISOString()}; rotate again after that. (If a secret leaked, delete the endpoint and create it anew.)`,
        ["id"],
      );
    }
    return (await tx
      .update(webhookEndpoints)
      .set({ secret: signingSecret, previousSecret: existing.secret, previousSecretExpiresAt: new Date(now.getTime() + ROTATION_OVERLAP_MS), updatedAt: now })
      .where(eq(webhookEndpoints.id, id))
      .returning()
      .get())!;
  });
  return { endpoint, signingSecret };
}

export function sendTestWebhook(deps: Deps, owner: WebhookOwner, id: string): Promise<WebhookEndpointRow> {
  return deps.db.transaction(async (tx) => {
    const endpoint = await endpointOf(tx, owner, id);
    if (endpoint.status === "DISABLED") throw new DomainError("INVALID_STATE", "The endpoint is disabled; enable it first (updateWebhookEndpoint with enabled: true).", ["id"]);
    await enqueuePing(tx, deps.clock.now(), endpoint);
    return endpoint;
  });
}

/** Queues the same message (same webhook-id and body) again as a new delivery; null when the owner has no such delivery. */
export function redeliver(deps: Deps, owner: WebhookOwner, deliveryId: string): Promise<WebhookDeliveryRow | null> {
  return deps.db.transaction(async (tx) => {
    const original = await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId)).get();
    if (!original) return null;
    const endpoint = await tx.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.id, original.endpointId), ownerScope(owner))).get();
    if (!endpoint) return null;
    const now = deps.clock.now();
    // A sequential id, as every queued delivery's: the worker sends an endpoint's messages in id order within a createdAt.
    return (await tx
      .insert(webhookDeliveries)
      .values({ id: newSequentialId("webhookDelivery"), endpointId: endpoint.id, messageId: original.messageId, eventType: original.eventType, payload: original.payload, status: "PENDING", attempts: 0, nextAttemptAt: now, createdAt: now })
      .returning()
      .get())!;
  });
}

/** The endpoint's delivery log, newest first, keyset-paginated on (createdAt, id). */
export async function listDeliveries(db: Reads, endpointId: string, options: { first?: number | null; after?: string | null; status?: WebhookDeliveryRow["status"][] | null }): Promise<Connection<WebhookDeliveryRow>> {
  const size = pageSize(options.first);
  const after = decodeCursor("webhookDeliveries", options.after);
  const where = and(eq(webhookDeliveries.endpointId, endpointId), options.status?.length ? inArray(webhookDeliveries.status, options.status) : undefined);
  const afterKey = after
    ? or(lt(webhookDeliveries.createdAt, new Date(after[0])), and(eq(webhookDeliveries.createdAt, new Date(after[0])), lt(webhookDeliveries.id, after[1])))
    : undefined;
  const rows = await db.select().from(webhookDeliveries).where(and(where, afterKey)).orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id)).limit(size + 1).all();
  return toConnection("webhookDeliveries", rows, size, after, (row) => [row.createdAt.getTime(), row.id], async () => (await db.select({ n: count() }).from(webhookDeliveries).where(where).get())!.n);
}

/** The 30-day delivery log: finished deliveries older than that are dropped. Idempotent. */
export async function purgeOldWebhookDeliveries(deps: Deps): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - DELIVERY_LOG_RETENTION_MS);
  return deps.db.transaction(
    async (tx) => (await tx.delete(webhookDeliveries).where(and(lte(webhookDeliveries.createdAt, cutoff), inArray(webhookDeliveries.status, ["SUCCEEDED", "FAILED"]))).run()).changes,
  );
}
