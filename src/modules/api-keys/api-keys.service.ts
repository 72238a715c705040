import { and, desc, eq, isNull } from "drizzle-orm";
import { DomainError } from "../../common/errors.js";
import { newId } from "../../common/ids.js";
import { forbiddenCharacter, InputChecker, limits } from "../../common/validate.js";
import { hashToken, newToken } from "../../auth/tokens.js";
import type { Db } from "../../db/database.js";
import { apiKeys, organisations } from "../../db/tables.js";
import type { Clock } from "../../common/clock.js";

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type ApiKeyKind = ApiKeyRow["kind"];

/** Longest origin accepted for a publishable key (scheme, host and port). */
export const MAX_ORIGIN_LENGTH = 255;
/** Most origins one publishable key may be bound to. */
export const MAX_ORIGINS_PER_KEY = 20;

export interface CreateApiKeyInput {
  kind: ApiKeyKind;
  name: string;
  organisationId?: string | null;
  allowedOrigins?: string[] | null;
}

/**
 * The origin "https://partner.example" (a trailing "/" is allowed), or null for anything
 * else. A page address is refused rather than cut down to its origin: the key would work
 * on the whole site, which its maker may not have meant.
 */
export function parseOrigin(raw: string): string | null {
  try {
    const trimmed = raw.trim();
    const url = new URL(trimmed);
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    if (url.origin === "null" || url.pathname !== "/" || /[?#@]/.test(trimmed)) return null;
    return url.origin;
  } catch {
    return null; // not a URL
  }
}

/** What to say about a value that is not an origin; suggests the origin of a page address. */
export function notAnOriginMessage(label: string, raw: string): string {
  const shown = JSON.stringify(raw.slice(0, 100));
  try {
    const url = new URL(raw.trim());
    if ((url.protocol === "https:" || url.protocol === "http:") && url.origin !== "null") {
      return `${label} ${shown} is a page address; give its origin (scheme, host and port): ${url.origin}`;
    }
  } catch {
    // not a URL at all
  }
  return `${label} ${shown} is not an http(s) origin such as https://partner.example.`;
}

/** Creates a key and returns it in clear text: the only time it is ever shown. */
export async function createApiKey(db: Db, clock: Clock, input: CreateApiKeyInput): Promise<{ key: string; row: ApiKeyRow }> {
  const check = new InputChecker();
  const name = check.requiredText(["input", "name"], input.name, limits.name);
  let organisationId: string | null = null;
  let origins: string[] = [];
  if (input.kind === "ADMIN") {
    if (input.organisationId) check.add("INVALID", "Admin keys do not belong to an organisation.", ["input", "organisationId"]);
  } else {
    organisationId = input.organisationId ?? null;
    if (!organisationId) check.add("REQUIRED", "Partner keys belong to an organisation.", ["input", "organisationId"]);
    else if (!(await db.select({ id: organisations.id }).from(organisations).where(eq(organisations.id, organisationId)).get())) {
      check.add("NOT_FOUND", "No organisation has this id.", ["input", "organisationId"]);
    }
  }
  if (input.kind === "PUBLISHABLE") {
    const raw = input.allowedOrigins ?? [];
    if (raw.length === 0) check.add("REQUIRED", "A publishable key needs the origins of the sites that use it, e.g. https://partner.example.", ["input", "allowedOrigins"]);
    if (raw.length > MAX_ORIGINS_PER_KEY) check.add("INVALID", `At most ${MAX_ORIGINS_PER_KEY} origins per key.`, ["input", "allowedOrigins"]);
    raw.slice(0, MAX_ORIGINS_PER_KEY).forEach((origin, index) => {
      if (origin.length > MAX_ORIGIN_LENGTH) {
        check.add("TOO_LONG", `An origin must be at most ${MAX_ORIGIN_LENGTH} characters.`, ["input", "allowedOrigins", String(index)]);
        return;
      }
      // The URL parser silently drops tabs and line breaks: refuse them instead of guessing.
      const parsed = forbiddenCharacter(origin, "single-line") ? null : parseOrigin(origin);
      if (!parsed) check.add("INVALID", notAnOriginMessage(`allowedOrigins[${index}]`, origin), ["input", "allowedOrigins", String(index)]);
      else origins.push(parsed);
    });
    origins = [...new Set(origins)];
  } else if (input.allowedOrigins?.length) {
    check.add("INVALID", "Only publishable keys are bound to origins.", ["input", "allowedOrigins"]);
  }
  check.throwIfAny();
  const key = newToken(input.kind === "ADMIN" ? "adminKey" : input.kind === "PUBLISHABLE" ? "publishableKey" : "secretKey");
  const row = await db.transaction(
    async (tx) =>
      (await tx
        .insert(apiKeys)
        .values({ id: newId("apiKey"), kind: input.kind, name, prefix: key.slice(0, 10), hash: hashToken(key), organisationId, allowedOrigins: origins, createdAt: clock.now() })
        .returning()
        .get())!,
  );
  forgetPublishableOrigins(db);
  return { key, row };
}

/**
 * Registers a key chosen by the operator (ADMIN_API_KEY); a no-op when it exists. Such a
 * key may be as short as 24 characters and need not be random, so only its first three
 * are kept to recognise it: ten would give away a large part of it.
 */
export async function ensureAdminKey(db: Db, clock: Clock, key: string, name: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .insert(apiKeys)
      .values({ id: newId("apiKey"), kind: "ADMIN", name, prefix: key.slice(0, 3), hash: hashToken(key), createdAt: clock.now() })
      .onConflictDoNothing({ target: apiKeys.hash })
      .run();
  });
}

export function listApiKeys(db: Db): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt)).all();
}

export async function revokeApiKey(db: Db, clock: Clock, id: string): Promise<ApiKeyRow> {
  const row = await db.transaction(async (tx) => {
    const revoked = await tx.update(apiKeys).set({ revokedAt: clock.now() }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).returning().get();
    if (revoked) return revoked;
    const existing = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
    if (!existing) throw new DomainError("NOT_FOUND", "No API key has this id.", ["id"]);
    throw new DomainError("INVALID_STATE", "This key is already revoked.", ["id"]);
  });
  forgetPublishableOrigins(db);
  return row;
}

/**
 * How long the CORS allow-list is reused before it is read again. Keys created or revoked
 * by this process take effect at once; by another process (the CLI, another API server)
 * within this time.
 */
export const PUBLISHABLE_ORIGINS_TTL_MS = 5_000;

/** The read in flight or done: concurrent requests after the TTL share one read. */
const originsCache = new WeakMap<Db, { origins: Promise<ReadonlySet<string>>; loadedAt: number }>();

function forgetPublishableOrigins(db: Db): void {
  originsCache.delete(db);
}

/** publishableOrigins, read at most once per PUBLISHABLE_ORIGINS_TTL_MS: CORS asks on every request. */
export function cachedPublishableOrigins(db: Db): Promise<ReadonlySet<string>> {
  const now = performance.now();
  const cached = originsCache.get(db);
  if (cached && now - cached.loadedAt < PUBLISHABLE_ORIGINS_TTL_MS) return cached.origins;
  const entry: { origins: Promise<ReadonlySet<string>>; loadedAt: number } = { origins: publishableOrigins(db), loadedAt: now };
  originsCache.set(db, entry);
  // A failed read is not reused: the next request reads again.
  entry.origins.catch(() => {
    if (originsCache.get(db) === entry) originsCache.delete(db);
  });
  return entry.origins;
}

/** All origins some live publishable key may be used from: the CORS allow-list. */
export async function publishableOrigins(db: Db): Promise<Set<string>> {
  const rows = await db
    .select({ origins: apiKeys.allowedOrigins })
    .from(apiKeys)
    .where(and(eq(apiKeys.kind, "PUBLISHABLE"), isNull(apiKeys.revokedAt)))
    .all();
  return new Set(rows.flatMap((row) => row.origins));
}
