import { Redis } from "ioredis";
import type { RateLimitStore, RateLimitWindow } from "./rate-limit.js";

/*
 * Counters in Redis, shared by every API process that points at the same server: what
 * the scale-out setup (several processes behind a load balancer) needs. One round trip
 * per counter: a Lua script increments the window's key and, on its first hit, gives it
 * a time to live (relative, so the processes' clocks need not agree with Redis's).
 */

const INCREMENT_WINDOW = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

type RedisWithScript = Redis & { incrementWindow(key: string, ttlMs: number): Promise<number> };

export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: RedisWithScript;

  constructor(
    url: string,
    private readonly keyPrefix: string,
  ) {
    // Short timeouts and no endless retries: a slow or absent Redis must not hold requests
    // (the limiter lets calls through when the store fails, and logs it).
    this.redis = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, commandTimeout: 1_000, maxRetriesPerRequest: 1, enableOfflineQueue: true }) as RedisWithScript;
    this.redis.defineCommand("incrementWindow", { numberOfKeys: 1, lua: INCREMENT_WINDOW });
    // Connection errors surface on the commands; without a listener ioredis would also print them.
    this.redis.on("error", () => {});
  }

  async hit(key: string, windowMs: number, now: number): Promise<RateLimitWindow> {
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const count = await this.redis.incrementWindow(`${this.keyPrefix}${key}:${windowStart}`, windowMs + 1_000);
    return { count: Number(count), resetAt: windowStart + windowMs };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
