import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

/*
 * Scale-out: two API processes' worth of servers sharing their rate-limit counters in
 * Redis (RATE_LIMIT_STORE), as they would behind a load balancer.
 *
 * These need a Redis server. Without one they are skipped with a notice, so `npm test`
 * works on a laptop; `.ci/run` starts Redis and sets REQUIRE_REDIS=1, which turns its
 * absence into a failure so CI never skips them silently.
 */

/** Database 15, so the counters never mix with anything else kept in a local Redis. */
const REDIS_URL = process.env.REDIS_TEST_URL || "redis://127.0.0.1:6379/15";

const REQUEST_LINK = /* GraphQL */ `
  mutation ($email: EmailAddress!) { requestSignInLink(email: $email) { ok userErrors { code } } }
`;

/** Why Redis cannot be used, or null when it answers PING. */
async function redisUnavailable(url: string): Promise<string | null> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let socketError: Error | undefined; // e.g. ECONNREFUSED; connect() itself only says the connection closed
  probe.on("error", (error: Error) => (socketError ??= error));
  try {
    await probe.connect();
    await probe.ping();
    return null;
  } catch (error) {
    return (socketError ?? (error as Error)).message;
  } finally {
    probe.disconnect();
  }
}

const unavailable = await redisUnavailable(REDIS_URL);
const redisAddress = new URL(REDIS_URL).host;
if (unavailable && process.env.REQUIRE_REDIS === "1") {
  throw new Error(`REQUIRE_REDIS=1 but Redis at ${redisAddress} is unreachable (${unavailable}); start redis-server (.ci/run does)`);
}
if (unavailable) {
  console.warn(
    `NOTICE: skipping the shared rate-limit tests: no Redis at ${redisAddress} (${unavailable}). ` +
      `To run them, start one (redis-server --daemonize yes --bind 127.0.0.1 --port 6379) and run npm test again; CI (.ci/run) always runs them.`,
  );
}

describe.skipIf(unavailable !== null)("rate limits shared through Redis (RATE_LIMIT_STORE=redis://…)", () => {
  const prefix = `test:${randomUUID()}:`;
  let redis: Redis;
  let first: TestServer;
  let second: TestServer;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0 });
    await redis.connect();
    const env = { RATE_LIMIT_STORE: REDIS_URL, RATE_LIMIT_KEY_PREFIX: prefix, RATE_LIMIT_PER_IP: "3" };
    first = await startTestServer({ now: "2023-06-01T12:00:00Z", env });
    second = await startTestServer({ now: "2023-06-01T12:00:00Z", env });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    if (redis?.status === "ready") {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
    }
    redis?.disconnect();
  });

  it("counts calls to either server against one allowance", async () => {
    // when: the same client alternates between the two servers
    const codes: (string | null)[] = [];
    for (const [i, server] of [first, second, first, second].entries()) {
      const { data } = await server.gql(REQUEST_LINK, { email: `shared${i}@clinic.example` });
      codes.push(data.requestSignInLink.userErrors[0]?.code ?? null);
    }

    // then
    expect(codes).toEqual([null, null, null, "RATE_LIMITED"]);
    const keys = await redis.keys(`${prefix}requestSignInLink:ip:*`);
    expect(keys).toHaveLength(1);
    expect(await redis.get(keys[0]!)).toBe("4");
    expect(await redis.pttl(keys[0]!)).toBeGreaterThan(0);
  });

  it("counts per email across servers too", async () => {
    // when: six calls for one inbox across both servers; the clock moves on a minute after
    // the third, so the per-address allowance (3 a minute) is not what stops the sixth
    first.clock.advance(60_000);
    second.clock.advance(60_000);
    const codes: (string | null)[] = [];
    for (const [i, server] of [first, second, first, second, first, second].entries()) {
      if (i === 3) {
        first.clock.advance(60_000);
        second.clock.advance(60_000);
      }
      const { data } = await server.gql(REQUEST_LINK, { email: "one.inbox@clinic.example" });
      codes.push(data.requestSignInLink.userErrors[0]?.code ?? null);
    }

    // then: 3 per IP per minute, 5 per inbox per hour
    expect(codes).toEqual([null, null, null, null, null, "RATE_LIMITED"]);
  });
});

describe("a shared store that is down", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { RATE_LIMIT_STORE: "redis://127.0.0.1:1", RATE_LIMIT_PER_IP: "1" } });
  });
  afterAll(() => server?.close());

  it("lets calls through rather than failing registration", async () => {
    // when
    const results = [await server.gql(REQUEST_LINK, { email: "a@clinic.example" }), await server.gql(REQUEST_LINK, { email: "b@clinic.example" })];

    // then
    expect(results.map((result) => [result.status, result.data?.requestSignInLink])).toEqual([
      [200, { ok: true, userErrors: [] }],
      [200, { ok: true, userErrors: [] }],
    ]);
  });
});
