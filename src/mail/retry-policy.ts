/*
 * When a failed delivery is tried again, and when it is given up.
 *
 * Transient failures (connection refused, timeouts, 4xx replies) get the full budget:
 * with the defaults the retries span about three hours, long enough to ride out an SMTP
 * outage or a relay restart. A permanent rejection (a 5xx reply such as "550 mailbox
 * unavailable") would be refused again, so it gets a short budget instead of none: a 5xx
 * can also come from a misconfigured relay ("relay access denied", "auth required") that
 * an operator fixes within minutes, and a few attempts cost nothing. After either budget
 * the delivery is FAILED with the last error, and an admin may resend it.
 */

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  /** Attempts in all when the server rejects the message permanently (5xx). */
  maxPermanentAttempts: number;
  /** The wait after the first failure; it doubles after each later one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** ±share of the delay drawn at random, so a burst that failed together does not retry together. */
  jitter: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 10,
  maxPermanentAttempts: 3,
  baseDelayMs: 30_000,
  maxDelayMs: 60 * 60_000,
  jitter: 0.2,
};

/** How long to wait after failed attempt number `attempts` (1-based). */
export function retryDelayMs(policy: RetryPolicy, attempts: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  const spread = exponential * policy.jitter;
  return Math.round(exponential - spread + 2 * spread * random());
}

/** What a send error says about the chance of a retry succeeding. */
export interface SendFailure {
  permanent: boolean;
  /** For lastError: the SMTP reply when there is one, else the error's message. */
  message: string;
}

export function classifySendError(error: unknown): SendFailure {
  const details = (error ?? {}) as { message?: unknown; code?: unknown; response?: unknown; responseCode?: unknown; permanent?: unknown };
  const responseCode = typeof details.responseCode === "number" ? details.responseCode : null;
  // nodemailer sets `permanent` from the reply class (5xx except 503); older paths only the code.
  const permanent = typeof details.permanent === "boolean" ? details.permanent : responseCode !== null && responseCode >= 500 && responseCode !== 503;
  const text = typeof details.response === "string" ? details.response : typeof details.message === "string" ? details.message : String(error);
  // Node's fs errors already start with their code ("EACCES: permission denied, …")
  const code = typeof details.code === "string" && !text.startsWith(`${details.code}:`) ? details.code : null;
  const parts = [code, text];
  return { permanent, message: parts.filter(Boolean).join(": ").slice(0, 1000) };
}

export function attemptsAllowed(policy: RetryPolicy, failure: SendFailure): number {
  return failure.permanent ? Math.min(policy.maxPermanentAttempts, policy.maxAttempts) : policy.maxAttempts;
}
