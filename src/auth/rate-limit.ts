import type { ApolloServerPlugin } from "@apollo/server";
import { DomainError } from "../common/errors.js";
import { normalizeEmail } from "../common/validate.js";
import type { RateLimitConfig } from "../config.js";
import type { Context } from "../context.js";
import type { Viewer } from "./viewer.js";

/*
 * Rate limits on the mutations that send email: register, requestSignInLink and
 * subscribeToNewsletter (anyone may call them), and requestEarlyAccess (a registrant's
 * token, mailing the course contact). Each action is counted on its own, in
 * fixed windows, per caller (client IP, or the partner's secret key) and per email
 * address. A refused call gets the RATE_LIMITED userError, `retryAfterSeconds` in the
 * response extensions and a Retry-After header; it changes nothing.
 */

export type RateLimitedAction = "register" | "requestSignInLink" | "subscribeToNewsletter" | "requestEarlyAccess";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export interface RateLimitWindow {
  /** Calls counted in this window, the current one included. */
  count: number;
  /** When the window ends (epoch milliseconds). */
  resetAt: number;
}

/**
 * Where the counters live. The in-memory store serves one process; several API
 * processes behind a load balancer share RedisRateLimitStore (RATE_LIMIT_STORE=redis://…).
 */
export interface RateLimitStore {
  /** Counts one call against `key` in the window of `windowMs` that contains `now`. */
  hit(key: string, windowMs: number, now: number): Promise<RateLimitWindow>;
  close?(): Promise<void>;
}

/** Counters in a Map: bounded in size, expired windows swept at most once a minute. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, RateLimitWindow>();
  private nextSweepAt = 0;

  /** Past this many live counters the oldest are dropped, so a spray of addresses cannot exhaust memory. */
  constructor(private readonly maxEntries = 100_000) {}

  async hit(key: string, windowMs: number, now: number): Promise<RateLimitWindow> {
    this.sweep(now);
    const resetAt = (Math.floor(now / windowMs) + 1) * windowMs;
    const current = this.windows.get(key);
    if (current && current.resetAt === resetAt) {
      current.count += 1;
      return { ...current };
    }
    this.windows.delete(key);
    this.windows.set(key, { count: 1, resetAt });
    while (this.windows.size > this.maxEntries) this.windows.delete(this.windows.keys().next().value!);
    return { count: 1, resetAt };
  }

  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + MINUTE_MS;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}

interface Rule {
  key: string;
  limit: number;
  windowMs: number;
}

/** The address a flood would land in: case-insensitive, and "ada+1@x" counts as "ada@x". */
export function emailRateLimitKey(email: string): string {
  const normalized = normalizeEmail(email).slice(0, 320);
  const at = normalized.lastIndexOf("@");
  if (at <= 0) return normalized;
  return normalized.slice(0, at).replace(/\+.*$/, "") + normalized.slice(at);
}

export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly config: RateLimitConfig | null,
  ) {}

  /** Counts the call; null when it is allowed, else the seconds until it would be. */
  async retryAfterSeconds(viewer: Viewer, ip: string, action: RateLimitedAction, email: string | null | undefined, now: Date): Promise<number | null> {
    if (!this.config || viewer.role === "ADMIN") return null;
    const rules: Rule[] = [];
    if (viewer.role === "PARTNER" && viewer.keyKind === "SECRET") {
      rules.push({ key: `${action}:key:${viewer.apiKeyId}`, limit: this.config.perSecretKeyPerMinute, windowMs: MINUTE_MS });
    } else {
      rules.push({ key: `${action}:ip:${ip}`, limit: this.config.perIpPerMinute, windowMs: MINUTE_MS });
    }
    if (email) rules.push({ key: `${action}:email:${emailRateLimitKey(email)}`, limit: this.config.perEmailPerHour, windowMs: HOUR_MS });

    let retryAfterMs: number | null = null;
    for (const rule of rules) {
      const window = await this.store.hit(rule.key, rule.windowMs, now.getTime());
      if (window.count > rule.limit) retryAfterMs = Math.max(retryAfterMs ?? 0, window.resetAt - now.getTime());
    }
    return retryAfterMs === null ? null : Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}

const retryAfterByContext = new WeakMap<Context, number>();

/**
 * Call first thing inside a rate-limited mutation's toPayload callback: throws the
 * RATE_LIMITED DomainError (and records Retry-After for the response) when the caller
 * or the address has used up its allowance for this action.
 */
export async function enforceRateLimit(ctx: Context, action: RateLimitedAction, email: string | null | undefined): Promise<void> {
  let seconds: number | null;
  try {
    seconds = await ctx.rateLimiter.retryAfterSeconds(ctx.viewer, ctx.ip, action, email, ctx.deps.clock.now());
  } catch (error) {
    // A shared store that is down must not take registration down with it.
    ctx.log.warn({ err: error, action }, "rate limit store unavailable; call allowed");
    return;
  }
  if (seconds === null) return;
  retryAfterByContext.set(ctx, Math.max(seconds, retryAfterByContext.get(ctx) ?? 0));
  throw new DomainError("RATE_LIMITED", `Too many requests of this kind from you or for this email address; try again in ${seconds} seconds.`);
}

/** Puts `retryAfterSeconds` in the response extensions and a Retry-After header when a call was refused. */
export function rateLimitResponsePlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const seconds = retryAfterByContext.get(contextValue);
          if (seconds === undefined) return;
          response.http.headers.set("retry-after", String(seconds));
          if (response.body.kind === "single") {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, retryAfterSeconds: seconds };
          }
        },
      };
    },
  };
}
