/** One stored response: what Apollo answered, and when it stops being valid. */
export interface StoredResponse {
  /** The data version the response was computed at (read before execution began). */
  version: number;
  /** Application-clock milliseconds at which execution began. */
  computedAt: number;
  /** How long it may be served, in milliseconds. */
  ttlMs: number;
  contentType: string;
  cacheControl: string;
  body: string;
}

export interface ResponseStoreLimits {
  maxEntries: number;
  /** Keys and bodies together, counted as UTF-16 code units × 2. */
  maxBytes: number;
}

/**
 * A bounded least-recently-used map. Anonymous callers choose the keys (any variables),
 * so both the number of entries and their total size are capped.
 */
export class ResponseStore {
  private readonly entries = new Map<string, StoredResponse>();
  private bytes = 0;

  constructor(private readonly limits: ResponseStoreLimits) {}

  /** The entry when it is still valid at `version` and `now`; stale entries are dropped. */
  get(key: string, version: number, now: number): StoredResponse | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const age = now - entry.computedAt;
    // A clock that went backwards (a test's clock set back, NTP) also ends the entry.
    if (entry.version !== version || age < 0 || age >= entry.ttlMs) {
      this.delete(key, entry);
      return undefined;
    }
    // Re-inserting moves the key to the end: Map iteration order is the recency order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: StoredResponse): void {
    const size = sizeOf(key, entry);
    if (size > this.limits.maxBytes) return;
    const existing = this.entries.get(key);
    if (existing) this.delete(key, existing);
    this.entries.set(key, entry);
    this.bytes += size;
    for (const [oldestKey, oldest] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.delete(oldestKey, oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private delete(key: string, entry: StoredResponse): void {
    this.entries.delete(key);
    this.bytes -= sizeOf(key, entry);
  }
}

function sizeOf(key: string, entry: StoredResponse): number {
  return (key.length + entry.body.length) * 2;
}
