import { resolve } from "node:path";
import type { DatabaseLocation } from "./db/client.js";
import { BEARER_TOKEN_PATTERN, MAX_TOKEN_LENGTH, prefixesNotLookedUpAsKeys } from "./auth/tokens.js";

/**
 * The one reader of process.env. Everything is validated at start so a typo in a
 * deployment script fails with one clear line instead of a confusing runtime error.
 */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Where the data lives: a SQLite file (`DATABASE_URL=file:PATH`) or PostgreSQL (`postgres://…`). */
  readonly database: DatabaseLocation;
  /** Absolute path of the SQLite file; null on PostgreSQL. */
  readonly databasePath: string | null;
  /** PostgreSQL: connections each process keeps in its pool (DATABASE_POOL_SIZE). */
  readonly databasePoolSize: number;
  /** PostgreSQL: how long a transaction waits for an event's lock before EVENT_BUSY (DATABASE_LOCK_TIMEOUT_MS). */
  readonly databaseLockTimeoutMs: number;
  /** Transaction bodies checked by AsyncLocalStorage (db/database.ts); TRANSACTION_GUARD, off in production by default. */
  readonly transactionGuard: boolean;
  readonly smtpUrl: string | undefined;
  readonly mailDir: string;
  readonly mailFrom: string;
  readonly publicUrl: string;
  /** URL template with a `{token}` placeholder. */
  readonly manageUrl: string;
  readonly signInUrl: string;
  readonly adminApiKey: string | undefined;
  readonly seedDemo: boolean;
  readonly worker: boolean;
  readonly production: boolean;
  readonly introspection: boolean;
  /** Browser origins allowed for admin tools besides the server's own. */
  readonly adminOrigins: readonly string[];
  readonly logLevel: string;
  /** Days before an event's start on which PREREQUISITE_REMINDER goes out. */
  readonly reminderDays: readonly number[];
  /** How often the worker polls the outbox and the scheduler, in milliseconds. */
  readonly workerIntervalMs: number;
  /** Limits on register, requestSignInLink and subscribeToNewsletter; null when RATE_LIMITS=off. */
  readonly rateLimits: RateLimitConfig | null;
  /** Fastify's trustProxy: whether (and which) X-Forwarded-For hops to believe for the client IP. */
  readonly trustProxy: boolean | number | string[];
  /** Operations run compiled by graphql-jit (server/compiled-execution.ts); GRAPHQL_JIT=off runs them all in graphql-js. */
  readonly compiledExecution: boolean;
  /** The in-process cache of anonymous read responses; null when RESPONSE_CACHE=off. */
  readonly responseCache: ResponseCacheConfig | null;
  /** Load shedding of GraphQL reads (src/server/overload.ts); null when OVERLOAD_SHEDDING=off. */
  readonly overload: OverloadConfig | null;
  /** Length of the queue of connections not yet accepted (listen's backlog); the kernel caps it at net.core.somaxconn. */
  readonly listenBacklog: number;
  /** WEBHOOKS_ALLOW_PRIVATE: webhook URLs may point at loopback, private and link-local addresses (development, tests). */
  readonly webhooksAllowPrivate: boolean;
}

export interface ResponseCacheConfig {
  /**
   * Longest time an entry is served, in seconds. Writes made through this database file
   * (this process or another) invalidate entries at once; the TTL bounds what no write
   * announces: answers that change with the clock (registrationOpen) and, once the
   * database can be shared without a version, other processes' writes.
   */
  readonly ttlSeconds: number;
}

export interface OverloadConfig {
  /** How long a read may wait in the read queue before new reads get 503 + Retry-After; 0 sheds every read (tests). */
  readonly maxReadWaitMs: number;
  /** How long one turn of the event loop runs reads before further reads wait for the next turn. */
  readonly turnBudgetMs: number;
  /** GraphQL requests in flight past which new reads get 503 + Retry-After. */
  readonly maxConcurrentRequests: number;
  readonly retryAfterSeconds: number;
}

/** Calls allowed per action (each of register, requestSignInLink, subscribeToNewsletter). */
export interface RateLimitConfig {
  /** Per client IP address (anonymous callers, publishable keys, registrants), per minute. */
  readonly perIpPerMinute: number;
  /** Per partner secret key, per minute: partner servers send for many people from one address. */
  readonly perSecretKeyPerMinute: number;
  /** Per email address, per hour: stops floods aimed at one inbox. */
  readonly perEmailPerHour: number;
  /** `redis://…` to share the counters between processes; null keeps them in memory. */
  readonly storeUrl: string | null;
  /** Prefix of the counters' keys in a shared store. */
  readonly keyPrefix: string;
}

export class ConfigError extends Error {}

/**
 * A read waits at most about this long in the read queue before new reads are shed. Lower,
 * a busy but healthy server would shed: the 50 requests of 50 clients arriving at once wait
 * 50 × their cost for the last of them (S3 on a shared 2-core machine: 50 × 25 ms), and
 * shedding gains nothing until the queue is longer than that.
 */
const DEFAULT_MAX_READ_WAIT_MS = 1000;
/**
 * libuv accepts one new connection per turn of the event loop: the shorter the turns, the
 * sooner a connection opened during a flood (a registration) is read. 2 ms is one or two
 * uncached event pages; each turn's own cost is tens of microseconds.
 */
const DEFAULT_TURN_BUDGET_MS = 2;

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === "production";
  const port = parsePort(env.PORT ?? "4000");
  const host = env.HOST?.trim() || "127.0.0.1";
  const database = parseDatabaseUrl(env.DATABASE_URL ?? "file:./data/events.db");
  const publicUrl = parseHttpUrl("PUBLIC_URL", env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, "");
  const config: Config = {
    port,
    host,
    database,
    databasePath: database.dialect === "sqlite" ? database.path : null,
    databasePoolSize: parsePositiveInt("DATABASE_POOL_SIZE", env.DATABASE_POOL_SIZE ?? "10"),
    databaseLockTimeoutMs: parsePositiveInt("DATABASE_LOCK_TIMEOUT_MS", env.DATABASE_LOCK_TIMEOUT_MS ?? "5000"),
    transactionGuard: parseBoolean("TRANSACTION_GUARD", env.TRANSACTION_GUARD, !production),
    smtpUrl: env.SMTP_URL ? parseSmtpUrl(env.SMTP_URL) : undefined,
    mailDir: resolve(env.MAIL_DIR ?? "./data/mail"),
    mailFrom: env.MAIL_FROM?.trim() || "MBT Training <training@localhost>",
    publicUrl,
    manageUrl: parseLinkTemplate("MANAGE_URL", env.MANAGE_URL ?? `${publicUrl}/manage#{token}`),
    signInUrl: parseLinkTemplate("SIGN_IN_URL", env.SIGN_IN_URL ?? `${publicUrl}/sign-in#{token}`),
    adminApiKey: env.ADMIN_API_KEY ? parseAdminKey(env.ADMIN_API_KEY) : undefined,
    seedDemo: parseBoolean("SEED_DEMO", env.SEED_DEMO, !production),
    worker: parseBoolean("WORKER", env.WORKER, true),
    production,
    introspection: parseBoolean("INTROSPECTION", env.INTROSPECTION, true),
    adminOrigins: (env.ADMIN_ORIGINS ?? "")
      .split(",")
      .map((origin) => origin.trim())
      .filter(Boolean)
      .map((origin) => new URL(parseHttpUrl("ADMIN_ORIGINS", origin)).origin),
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === "test" ? "silent" : "info"),
    reminderDays: parseDayList("REMINDER_DAYS", env.REMINDER_DAYS ?? "14,3"),
    workerIntervalMs: parsePositiveInt("WORKER_INTERVAL_MS", env.WORKER_INTERVAL_MS ?? "1000"),
    rateLimits: parseBoolean("RATE_LIMITS", env.RATE_LIMITS, true)
      ? {
          perIpPerMinute: parsePositiveInt("RATE_LIMIT_PER_IP", env.RATE_LIMIT_PER_IP || "60"),
          perSecretKeyPerMinute: parsePositiveInt("RATE_LIMIT_PER_SECRET_KEY", env.RATE_LIMIT_PER_SECRET_KEY || "600"),
          perEmailPerHour: parsePositiveInt("RATE_LIMIT_PER_EMAIL", env.RATE_LIMIT_PER_EMAIL || "5"),
          storeUrl: parseRateLimitStore(env.RATE_LIMIT_STORE ?? ""),
          keyPrefix: env.RATE_LIMIT_KEY_PREFIX || "events:rate:",
        }
      : null,
    trustProxy: parseTrustProxy(env.TRUST_PROXY ?? ""),
    compiledExecution: parseBoolean("GRAPHQL_JIT", env.GRAPHQL_JIT, true),
    responseCache: parseBoolean("RESPONSE_CACHE", env.RESPONSE_CACHE, true)
      ? { ttlSeconds: parsePositiveInt("RESPONSE_CACHE_TTL_SECONDS", env.RESPONSE_CACHE_TTL_SECONDS || "5") }
      : null,
    overload: parseBoolean("OVERLOAD_SHEDDING", env.OVERLOAD_SHEDDING, true)
      ? {
          // OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: this setting's earlier name, still read.
          maxReadWaitMs: parseNonNegativeInt("OVERLOAD_MAX_READ_WAIT_MS", env.OVERLOAD_MAX_READ_WAIT_MS || env.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS || String(DEFAULT_MAX_READ_WAIT_MS)),
          turnBudgetMs: parsePositiveInt("OVERLOAD_TURN_BUDGET_MS", env.OVERLOAD_TURN_BUDGET_MS || String(DEFAULT_TURN_BUDGET_MS)),
          maxConcurrentRequests: parsePositiveInt("OVERLOAD_MAX_CONCURRENT_REQUESTS", env.OVERLOAD_MAX_CONCURRENT_REQUESTS || "100"),
          retryAfterSeconds: parsePositiveInt("OVERLOAD_RETRY_AFTER_S", env.OVERLOAD_RETRY_AFTER_S || "1"),
        }
      : null,
    listenBacklog: parsePositiveInt("LISTEN_BACKLOG", env.LISTEN_BACKLOG || "4096"),
    webhooksAllowPrivate: parseBoolean("WEBHOOKS_ALLOW_PRIVATE", env.WEBHOOKS_ALLOW_PRIVATE, false),
  };
  return Object.freeze(config);
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be a number from 0 to 65535, got "${raw}"`);
  }
  return port;
}

function parseDatabaseUrl(raw: string): DatabaseLocation {
  if (raw.startsWith("file:")) {
    const path = raw.slice("file:".length);
    if (!path) throw new ConfigError(`DATABASE_URL "file:" needs a path, e.g. file:./data/events.db`);
    return { dialect: "sqlite", path: path === ":memory:" ? path : resolve(path) };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`DATABASE_URL is not a valid URL: "${raw}"`);
    }
    if (!url.hostname) throw new ConfigError(`DATABASE_URL needs a host, e.g. postgres://127.0.0.1:5432/events`);
    if (url.pathname.length <= 1) throw new ConfigError(`DATABASE_URL needs a database name, e.g. postgres://127.0.0.1:5432/events`);
    return { dialect: "postgres", url: raw };
  }
  throw new ConfigError(`DATABASE_URL must look like file:./data/events.db or postgres://HOST:5432/DATABASE, got "${raw}"`);
}

function parseSmtpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`SMTP_URL is not a URL: "${raw}"`);
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") {
    throw new ConfigError(`SMTP_URL must start with smtp:// or smtps://, got "${url.protocol}"`);
  }
  return raw;
}

function parseHttpUrl(name: string, raw: string): string {
  try {
    const url = new URL(raw);
    if (url.protocol === "http:" || url.protocol === "https:") return raw;
  } catch {
    // fall through to the error below
  }
  throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
}

function parseLinkTemplate(name: string, raw: string): string {
  if (!raw.includes("{token}")) throw new ConfigError(`${name} must contain the {token} placeholder, got "${raw}"`);
  parseHttpUrl(name, raw.replace("{token}", "t"));
  return raw;
}

/**
 * Any value that can travel as a bearer token works as an admin key, whatever its prefix
 * (the authenticator looks unknown prefixes up by hash), except the two prefixes it
 * resolves as registrant tokens without looking at api keys. The value is never echoed.
 */
function parseAdminKey(raw: string): string {
  if (raw.length < 24) throw new ConfigError("ADMIN_API_KEY must be at least 24 characters long");
  if (raw.length > MAX_TOKEN_LENGTH) throw new ConfigError(`ADMIN_API_KEY must be at most ${MAX_TOKEN_LENGTH} characters long`);
  if (!BEARER_TOKEN_PATTERN.test(raw)) throw new ConfigError("ADMIN_API_KEY may contain only letters, digits and - . _ ~ + / (and = at the end), so it can be sent as `Authorization: Bearer …`");
  const reserved = prefixesNotLookedUpAsKeys.find((prefix) => raw.startsWith(prefix));
  if (reserved) throw new ConfigError(`ADMIN_API_KEY must not start with "${reserved}", the prefix of registrant and link tokens`);
  return raw;
}

function parseBoolean(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === "") return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function parseNonNegativeInt(name: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number (0 or more), got "${raw}"`);
  return Number(raw);
}

function parsePositiveInt(name: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value <= 0) throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

function parseRateLimitStore(raw: string): string | null {
  const value = raw.trim();
  if (value === "" || value === "memory") return null;
  if (/^rediss?:\/\/[^\s]+$/.test(value)) return value;
  throw new ConfigError(`RATE_LIMIT_STORE must be "memory" or a redis:// URL, got "${raw}"`);
}

function parseTrustProxy(raw: string): boolean | number | string[] {
  const value = raw.trim();
  if (value === "" || /^(false|0|no|off)$/i.test(value)) return false;
  if (/^(true|yes|on)$/i.test(value)) return true;
  if (/^\d+$/.test(value)) return Number(value);
  const addresses = value.split(",").map((part) => part.trim()).filter(Boolean);
  if (addresses.some((address) => !/^[0-9a-f.:]+(\/\d{1,3})?$/i.test(address))) {
    throw new ConfigError(`TRUST_PROXY must be true, false, a hop count or a comma-separated list of proxy IPs/CIDRs, got "${raw}"`);
  }
  return addresses;
}

function parseDayList(name: string, raw: string): number[] {
  const days = raw.split(",").map((part) => part.trim()).filter(Boolean);
  if (days.some((day) => !/^\d+$/.test(day))) {
    throw new ConfigError(`${name} must be a comma-separated list of whole days, got "${raw}"`);
  }
  return [...new Set(days.map(Number))].sort((a, b) => b - a);
}
