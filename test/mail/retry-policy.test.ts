import { describe, expect, it } from "vitest";
import { attemptsAllowed, classifySendError, defaultRetryPolicy, retryDelayMs } from "../../src/mail/retry-policy.js";

describe("retry policy", () => {
  it("doubles the wait after each failure, up to the cap, within ±20 % jitter", () => {
    const policy = defaultRetryPolicy;
    for (let attempts = 1; attempts <= 12; attempts++) {
      const expected = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1));
      expect(retryDelayMs(policy, attempts, () => 0)).toBe(Math.round(expected * 0.8));
      expect(retryDelayMs(policy, attempts, () => 1)).toBe(Math.round(expected * 1.2));
      expect(retryDelayMs(policy, attempts, () => 0.5)).toBe(expected);
    }
    expect(retryDelayMs(policy, 1, () => 0.5)).toBe(30_000);
    expect(retryDelayMs(policy, 4, () => 0.5)).toBe(240_000);
    expect(retryDelayMs(policy, 20, () => 0.5)).toBe(3_600_000);
  });

  it("spreads a burst that failed together", () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(defaultRetryPolicy, 3)));
    expect(delays.size).toBeGreaterThan(40);
  });

  it("treats 5xx replies (except 503) as permanent, everything else as transient", () => {
    expect(classifySendError(Object.assign(new Error("x"), { responseCode: 550, response: "550 5.1.1 Mailbox unavailable", code: "EENVELOPE" }))).toEqual({
      permanent: true,
      message: "EENVELOPE: 550 5.1.1 Mailbox unavailable",
    });
    expect(classifySendError(Object.assign(new Error("x"), { responseCode: 503, response: "503 Bad sequence" })).permanent).toBe(false);
    expect(classifySendError(Object.assign(new Error("x"), { responseCode: 451, response: "451 Try later" })).permanent).toBe(false);
    expect(classifySendError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:25"), { code: "ECONNECTION" }))).toEqual({
      permanent: false,
      message: "ECONNECTION: connect ECONNREFUSED 127.0.0.1:25",
    });
    // nodemailer's own verdict wins when it gives one
    expect(classifySendError(Object.assign(new Error("x"), { responseCode: 554, permanent: false })).permanent).toBe(false);
    expect(attemptsAllowed(defaultRetryPolicy, { permanent: true, message: "" })).toBe(3);
    expect(attemptsAllowed(defaultRetryPolicy, { permanent: false, message: "" })).toBe(10);
  });
});
