// Runs on both databases: the processes share one SQLite file (sqlite project) or one fresh PostgreSQL database (postgres project), which the test queries itself.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultWebhookDeliveryOptions } from "../../src/modules/webhooks/webhook-delivery.js";
import { REGISTER, registrationInput } from "../helpers/factories.js";
import { startHoldingWebhookReceiver, type HoldingWebhookReceiver, type ReceivedHit } from "../helpers/holding-webhook-receiver.js";
import type { ServerProcess } from "../helpers/process.js";
import { createUpcomingCourse, startSharedDialectDatabase, type ApiClient, type SharedDialectDatabase } from "../helpers/shared-database.js";
import { spawnWorker, type WorkerProcess } from "../helpers/worker-process.js";

/*
 * Webhook delivery when worker processes crash or race: the API server and separate
 * `src/main.ts worker` processes on one database (a SQLite file, or one PostgreSQL
 * database), a real receiver in this process. Nothing is reached into: the test registers
 * over GraphQL, kills workers with SIGKILL, and queries the database read-only to see what
 * was committed.
 */

const CREATE_ENDPOINT = /* GraphQL */ `
  mutation ($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) { endpoint { id } signingSecret userErrors { field code message } }
  }
`;
const DELETE_ENDPOINT = /* GraphQL */ `
  mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) { endpoint { id } userErrors { code } } }
`;
const ENDPOINTS = /* GraphQL */ `
  query {
    webhookEndpoints {
      id status
      deliveries(first: 100) { totalCount edges { node { messageId eventType status lastResponseStatus lastError deliveredAt } } }
    }
  }
`;

/** The webhook lease (60 s): the claims of a killed worker on this host are taken back at once, not after it. */
const LEASE_MS = defaultWebhookDeliveryOptions.leaseMs;

interface DeliveryRow {
  messageId: string;
  status: string;
  claimedBy: string | null;
  claimedUntil: number | null;
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The pid in a claim owner `host:machine:pid:random`. */
const pidOf = (owner: string | null) => owner?.split(":").at(-2);

function countById(hits: ReceivedHit[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const hit of hits) counts.set(hit.webhookId, (counts.get(hit.webhookId) ?? 0) + 1);
  return counts;
}

describe("webhook delivery by separate worker processes", () => {
  let shared: SharedDialectDatabase;
  let api: ServerProcess & { client: ApiClient };
  const workers: WorkerProcess[] = [];
  const receivers: HoldingWebhookReceiver[] = [];

  const workerEnv = () => ({ DATABASE_URL: shared.databaseUrl, MAIL_DIR: `${shared.dir}/mail`, WORKER_INTERVAL_MS: "100", WEBHOOKS_ALLOW_PRIVATE: "true", LOG_LEVEL: "warn" });
  /** The endpoint's outbox rows as committed (claimed_until as epoch milliseconds on both databases: shared.query). */
  const rows = (endpointId: string) =>
    shared.query<DeliveryRow>('SELECT message_id AS "messageId", status, claimed_by AS "claimedBy", claimed_until AS "claimedUntil" FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY created_at, id', [endpointId]);

  async function receiver(): Promise<HoldingWebhookReceiver> {
    const started = await startHoldingWebhookReceiver();
    receivers.push(started);
    return started;
  }

  async function createEndpoint(url: string): Promise<{ id: string; secret: string }> {
    const { data, errors } = await api.client.admin(CREATE_ENDPOINT, { input: { url, eventTypes: ["REGISTRATION_CREATED"], description: "crash test" } });
    expect(errors).toBeUndefined();
    expect(data.createWebhookEndpoint.userErrors).toEqual([]);
    return { id: data.createWebhookEndpoint.endpoint.id, secret: data.createWebhookEndpoint.signingSecret };
  }

  /** Registers `count` people for a new course; returns their registration ids. */
  async function register(count: number): Promise<string[]> {
    const { course } = await createUpcomingCourse(api.client, { capacity: count + 10, requiresReview: false, priceMinor: 0 });
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const { data, errors } = await api.client.gql(REGISTER, { input: registrationInput(course) });
      expect(errors).toBeUndefined();
      ids.push(data.register.registration.id);
    }
    return ids;
  }

  /** Every hit verified as a partner's receiver would (the processes run on the real clock); returns the registration ids the messages were about. */
  function verifiedRegistrationIds(secret: string, hits: ReceivedHit[]): string[] {
    const webhook = new Webhook(secret);
    return hits.map((hit) => {
      const message = webhook.verify(hit.body, hit.headers as Record<string, string>) as { type: string; data: { registration: { id: string } } };
      expect(message.type).toBe("registration.created");
      return message.data.registration.id;
    });
  }

  async function deliveryLog(endpointId: string) {
    const { data, errors } = await api.client.admin(ENDPOINTS);
    expect(errors).toBeUndefined();
    return data.webhookEndpoints.find((endpoint: { id: string }) => endpoint.id === endpointId).deliveries as { totalCount: number; edges: { node: { messageId: string; eventType: string; status: string; lastResponseStatus: number | null; lastError: string | null } }[] };
  }

  async function spawn(): Promise<WorkerProcess> {
    const worker = await spawnWorker(workerEnv());
    workers.push(worker);
    return worker;
  }

  beforeAll(async () => {
    shared = await startSharedDialectDatabase();
    api = await shared.spawnApi({ WEBHOOKS_ALLOW_PRIVATE: "true" });
  }, 120_000);
  afterAll(async () => {
    for (const worker of workers) await worker.kill();
    await Promise.all(receivers.map((started) => started.close()));
    await shared?.close();
  });

  it(`a worker killed mid-delivery loses nothing: the next one takes back what it had claimed at once (not after its ${LEASE_MS / 1000} s lease) and sends it, and nothing answered 200 twice`, async () => {
    const MESSAGES = 30;
    const ANSWERED_BEFORE_CRASH = 5;
    // given an endpoint and MESSAGES registration.created messages queued by the API process
    const hooks = await receiver();
    const endpoint = await createEndpoint(hooks.url);
    const registrationIds = await register(MESSAGES);
    expect((await rows(endpoint.id)).map((row) => row.status)).toEqual(Array(MESSAGES).fill("PENDING"));

    // and a worker whose first ANSWERED_BEFORE_CRASH sends are answered 200, and the next held open, never answered
    hooks.policy = (_hit, index) => (index < ANSWERED_BEFORE_CRASH ? { hold: false, delayMs: 0 } : { hold: true });
    const doomed = await spawn();
    await waitUntil(() => hooks.held.length > 0, 30_000, "the first worker is caught mid-send");
    const inFlight = hooks.held.map((hit) => hit.webhookId);
    const answered = hooks.hits.filter((hit) => hit.answeredAt !== null).map((hit) => hit.webhookId);
    expect(answered).toHaveLength(ANSWERED_BEFORE_CRASH);
    expect(inFlight).toHaveLength(1);
    const atCrash = await rows(endpoint.id);
    // (what it was answered is recorded; the one in flight and more are claimed by it, under a lease)
    expect(atCrash.filter((row) => row.status === "SUCCEEDED").map((row) => row.messageId).sort()).toEqual([...answered].sort());
    const claimedByDoomed = atCrash.filter((row) => row.status === "PENDING" && pidOf(row.claimedBy) === String(doomed.child.pid) && row.claimedUntil! > Date.now());
    expect(claimedByDoomed.map((row) => row.messageId)).toContain(inFlight[0]);
    expect(claimedByDoomed.length).toBeGreaterThan(1);

    // when it is killed (no clean-up of any kind), the receiver recovers, and a new worker starts
    await doomed.kill();
    const hitsBeforeCrash = hooks.hits.length;
    hooks.policy = () => ({ hold: false, delayMs: 0 });
    const restarted = await spawn();
    const restartedAt = Date.now();
    await waitUntil(async () => (await rows(endpoint.id)).every((row) => row.status === "SUCCEEDED"), LEASE_MS + 30_000, "every delivery is recorded SUCCEEDED");
    const recoveredInMs = Date.now() - restartedAt;
    // (a few more worker steps, so that a late repeat would be seen)
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    // then every message arrived, signed, and none is lost: one per registration, with the webhook-ids of the outbox
    const final = await rows(endpoint.id);
    const counts = countById(hooks.hits);
    expect([...counts.keys()].sort()).toEqual(final.map((row) => row.messageId).sort());
    expect(new Set(verifiedRegistrationIds(endpoint.secret, hooks.hits))).toEqual(new Set(registrationIds));
    // and what was answered 200 before the crash is not sent again; what was in flight at most once more, the same message
    for (const id of answered) expect(counts.get(id), `answered ${id}`).toBe(1);
    for (const id of inFlight) {
      expect(counts.get(id), `in flight ${id}`).toBeLessThanOrEqual(2);
      expect(new Set(hooks.hits.filter((hit) => hit.webhookId === id).map((hit) => hit.body)).size).toBe(1);
    }
    for (const [id, count] of counts) if (!answered.includes(id) && !inFlight.includes(id)) expect(count, `never sent before the crash: ${id}`).toBe(1);
    // and the new worker sent all of it (the dead one sent nothing more)
    expect(hooks.hits.slice(hitsBeforeCrash).map((hit) => hit.webhookId).sort()).toEqual(final.map((row) => row.messageId).filter((id) => !answered.includes(id)).sort());
    expect(final.every((row) => row.claimedBy === null && row.claimedUntil === null)).toBe(true);
    // within seconds, not the lease: the new worker takes back the dead one's claims at once (same host, its pid gone)
    expect(recoveredInMs).toBeLessThan(10_000);
    expect(restarted.child.exitCode).toBeNull();

    // and the delivery log, as an admin sees it, says SUCCEEDED for every one
    const log = await deliveryLog(endpoint.id);
    expect(log.totalCount).toBe(MESSAGES);
    const logged = log.edges.map((edge) => edge.node).sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
    const expected = final.map((row) => row.messageId).sort().map((messageId) => ({ messageId, eventType: "REGISTRATION_CREATED", status: "SUCCEEDED", lastResponseStatus: 200, lastError: null }));
    expect(logged.map(({ messageId, eventType, status, lastResponseStatus, lastError }) => ({ messageId, eventType, status, lastResponseStatus, lastError }))).toEqual(expected);

    await restarted.kill();
    await api.client.admin(DELETE_ENDPOINT, { id: endpoint.id });
  }, 180_000);

  it("two workers running at once on one database send each message exactly once", async () => {
    const MESSAGES = 50;
    // given an endpoint whose receiver holds the first sends until both workers are in the middle of one
    const hooks = await receiver();
    hooks.policy = () => ({ hold: true });
    const endpoint = await createEndpoint(hooks.url);
    const registrationIds = await register(MESSAGES);
    expect(await rows(endpoint.id)).toHaveLength(MESSAGES);

    // when two workers start side by side
    const pair = await Promise.all([spawn(), spawn()]);
    const pids = new Set(pair.map((worker) => String(worker.child.pid)));
    // (both claim a batch: 50 messages are more than one batch of defaultWebhookDeliveryOptions.batchSize)
    await waitUntil(() => hooks.held.length >= 2, 30_000, "both workers are caught mid-send");
    const owners = new Set((await rows(endpoint.id)).map((row) => pidOf(row.claimedBy)).filter((pid) => pid !== undefined));
    expect(owners).toEqual(pids);
    // and the receiver then answers each request after a short delay
    hooks.policy = () => ({ hold: false, delayMs: 25 });
    hooks.releaseHeld();
    await waitUntil(async () => (await rows(endpoint.id)).every((row) => row.status === "SUCCEEDED"), 60_000, "every delivery is recorded SUCCEEDED");
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    // then each message was received exactly once, signed
    const counts = countById(hooks.hits);
    expect(hooks.hits).toHaveLength(MESSAGES);
    expect([...counts.keys()].sort()).toEqual((await rows(endpoint.id)).map((row) => row.messageId).sort());
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(verifiedRegistrationIds(endpoint.secret, hooks.hits).sort()).toEqual([...registrationIds].sort());
    // and the delivery log says SUCCEEDED for every one
    const log = await deliveryLog(endpoint.id);
    expect(log.totalCount).toBe(MESSAGES);
    expect(log.edges.every((edge) => edge.node.status === "SUCCEEDED" && edge.node.lastResponseStatus === 200)).toBe(true);
    for (const worker of pair) expect(worker.child.exitCode).toBeNull();
  }, 120_000);
});
