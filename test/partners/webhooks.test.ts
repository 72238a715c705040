import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookDeliveries, webhookEndpoints } from "../../src/db/tables.js";
import { deliverDueWebhooks } from "../../src/modules/webhooks/webhook-delivery.js";
import { createCourse, REGISTER, registrationInput, courseInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { startWebhookReceiver, verifyWebhook, type ReceivedWebhook, type WebhookReceiver } from "../helpers/webhook-receiver.js";
import { drain, startMailHarness, type MailHarness } from "../mail/mail-harness.js";
import { CREATE_ORGANISATION, createKey, rowCounts, setPartners } from "../security/fixtures.js";

const CREATE_ENDPOINT = /* GraphQL */ `
  mutation ($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) { endpoint { id url status eventTypes organisation { slug } } signingSecret userErrors { field code message } }
  }
`;
const ENDPOINTS = /* GraphQL */ `
  query ($status: [WebhookDeliveryStatus!]) {
    webhookEndpoints {
      id url status failingSince organisation { slug }
      deliveries(first: 100, status: $status) { totalCount edges { node { id messageId eventType status attempts lastResponseStatus lastError nextAttemptAt deliveredAt payload } } }
    }
  }
`;
const ROTATE = /* GraphQL */ `
  mutation ($id: ID!) { rotateWebhookSecret(id: $id) { endpoint { id } signingSecret userErrors { field code message } } }
`;
const PING = /* GraphQL */ `
  mutation ($id: ID!) { sendTestWebhook(id: $id) { endpoint { id status } userErrors { code message } } }
`;
const REDELIVER = /* GraphQL */ `
  mutation ($id: ID!) { redeliverWebhook(deliveryId: $id) { id messageId status attempts } }
`;
const UPDATE = /* GraphQL */ `
  mutation ($id: ID!, $input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) { endpoint { id status url } userErrors { field code message } } }
`;
const DELETE = /* GraphQL */ `
  mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) { endpoint { id } userErrors { code } } }
`;
const UPDATE_EVENT = /* GraphQL */ `
  mutation ($id: ID!, $input: EventInput!) { updateEvent(id: $id, input: $input) { userErrors { code message } } }
`;

const everyType = [
  "REGISTRATION_CREATED",
  "REGISTRATION_WAITLISTED",
  "REGISTRATION_APPROVED",
  "REGISTRATION_REJECTED",
  "REGISTRATION_CONFIRMED",
  "REGISTRATION_CANCELLED",
  "WAITLIST_OFFER_MADE",
  "WAITLIST_OFFER_EXPIRED",
  "PAYMENT_RECORDED",
  "COURSE_ACCESS_GRANTED",
  "EVENT_UPDATED",
  "EVENT_CANCELLED",
];

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Points an endpoint at a URL the API would refuse, straight in the table (a state only time or DNS could make). */
async function setEndpointUrl(server: TestServer, id: string, url: string): Promise<void> {
  await server.app.deps.db.transaction((tx) => tx.update(webhookEndpoints).set({ url }).where(eq(webhookEndpoints.id, id)).run());
}

describe("signed webhooks", () => {
  let mail: MailHarness;
  let server: TestServer;
  let course: TestCourse;
  const orgs: Record<"host" | "sponsor" | "stranger", string> = {} as never;
  const keys: Record<"host" | "sponsor" | "stranger", string> = {} as never;
  const receivers: WebhookReceiver[] = [];

  async function receiver(): Promise<WebhookReceiver> {
    const started = await startWebhookReceiver();
    receivers.push(started);
    return started;
  }

  async function createEndpoint(token: string, input: Record<string, unknown>) {
    const { data, errors } = await server.gql(CREATE_ENDPOINT, { input }, { token });
    expect(errors).toBeUndefined();
    expect(data.createWebhookEndpoint.userErrors).toEqual([]);
    return { id: data.createWebhookEndpoint.endpoint.id as string, secret: data.createWebhookEndpoint.signingSecret as string };
  }

  async function endpointLog(id: string, token = server.adminKey) {
    const { data } = await server.gql(ENDPOINTS, {}, { token });
    return data.webhookEndpoints.find((endpoint: { id: string }) => endpoint.id === id);
  }

  /** One worker step at the clock's current instant. */
  const step = () => server.app.worker.runOnce();

  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z", env: { WEBHOOKS_ALLOW_PRIVATE: "true" } });
    server = mail.server;
    course = await createCourse(server);
    for (const name of ["host", "sponsor", "stranger"] as const) {
      const { data } = await server.admin(CREATE_ORGANISATION, { input: { slug: `${name}-org`, name: `The ${name}`, email: `webhooks@${name}.example` } });
      orgs[name] = data.createOrganisation.organisation.id;
      keys[name] = (await createKey(server, { kind: "SECRET", organisationId: orgs[name] })).key;
    }
    await setPartners(server, course.id, [
      { organisationId: orgs.host, roles: ["HOST"] },
      { organisationId: orgs.sponsor, roles: ["SPONSOR"] },
    ]);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((started) => started.close()));
    await mail.close();
  });

  it("delivers registration.created once, signed so that the standardwebhooks library verifies it", async () => {
    // given an admin's endpoint
    const hooks = await receiver();
    const endpoint = await createEndpoint(server.adminKey, { url: hooks.url, eventTypes: ["REGISTRATION_CREATED"], description: "ops" });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    // when someone registers and the worker runs (twice)
    const registered = await server.gql(REGISTER, { input: registrationInput(course) });
    const { id, reference } = registered.data.register.registration;
    await step();
    await step();

    // then exactly one delivery arrived, and a Standard Webhooks receiver accepts it
    expect(hooks.received).toHaveLength(1);
    const delivery = hooks.received[0]!;
    expect(delivery.headers["content-type"]).toBe("application/json");
    expect(delivery.headers["webhook-timestamp"]).toBe(String(Math.floor(server.clock.now().getTime() / 1000)));
    const message = verifyWebhook(endpoint.secret, delivery, server.clock.now());
    expect(message).toMatchObject({ type: "registration.created", timestamp: "2023-06-01T12:00:00.000Z", data: { registration: { id, reference, status: "PENDING_REVIEW", updatedAt: "2023-06-01T12:00:00.000Z" }, event: { id: course.id } } });
    // (a tampered body, or another secret, is refused)
    expect(() => verifyWebhook(endpoint.secret, { ...delivery, body: delivery.body.replace(reference, "MBT-AAAAAA") }, server.clock.now())).toThrow(/signature/);

    // and the delivery log says so, with the webhook-id it was sent with
    const log = await endpointLog(endpoint.id);
    expect(log.deliveries.totalCount).toBe(1);
    expect(log.deliveries.edges[0].node).toMatchObject({ messageId: delivery.headers["webhook-id"], eventType: "REGISTRATION_CREATED", status: "SUCCEEDED", attempts: 1, lastResponseStatus: 200, nextAttemptAt: null, deliveredAt: "2023-06-01T12:00:00.000Z", payload: delivery.body });
    await server.gql(DELETE, { id: endpoint.id }, { token: server.adminKey });
  });

  it("signs with the old and the new secret for 24 hours after a rotation, then with the new one only", async () => {
    // given an endpoint whose secret is rotated
    const hooks = await receiver();
    const endpoint = await createEndpoint(server.adminKey, { url: hooks.url, eventTypes: ["WEBHOOK_PING"] });
    const rotated = await server.admin(ROTATE, { id: endpoint.id });
    const newSecret = rotated.data.rotateWebhookSecret.signingSecret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(endpoint.secret);

    // when a test message goes out
    await server.admin(PING, { id: endpoint.id });
    await step();

    // then it carries two signatures, and either secret verifies it
    const during = hooks.received.at(-1)!;
    expect(String(during.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verifyWebhook(newSecret, during, server.clock.now())).toMatchObject({ type: "webhook.ping" });
    expect(verifyWebhook(endpoint.secret, during, server.clock.now())).toMatchObject({ type: "webhook.ping" });

    // when it is rotated again within the 24 hours (here: at once)
    const overlapEnds = new Date(server.clock.now().getTime() + 24 * HOUR).toISOString();
    const again = await server.admin(ROTATE, { id: endpoint.id });

    // then that is refused, saying when it may be done, and both secrets still sign
    expect(again.data.rotateWebhookSecret).toEqual({
      endpoint: null,
      signingSecret: null,
      userErrors: [{ field: ["id"], code: "INVALID_STATE", message: expect.stringContaining(`still signs until ${overlapEnds}; rotate again after that`) }],
    });
    await server.admin(PING, { id: endpoint.id });
    await step();
    expect(verifyWebhook(endpoint.secret, hooks.received.at(-1)!, server.clock.now())).toMatchObject({ type: "webhook.ping" });
    expect(verifyWebhook(newSecret, hooks.received.at(-1)!, server.clock.now())).toMatchObject({ type: "webhook.ping" });

    // and after 24 hours only the new secret signs
    server.clock.advance(24 * HOUR + SECOND);
    await server.admin(PING, { id: endpoint.id });
    await step();
    const after = hooks.received.at(-1)!;
    expect(String(after.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(verifyWebhook(newSecret, after, server.clock.now())).toMatchObject({ type: "webhook.ping" });
    expect(() => verifyWebhook(endpoint.secret, after, server.clock.now())).toThrow(/No matching signature/);
    // and it may be rotated again
    expect((await server.admin(ROTATE, { id: endpoint.id })).data.rotateWebhookSecret).toMatchObject({ signingSecret: expect.stringMatching(/^whsec_/), userErrors: [] });
    await server.gql(DELETE, { id: endpoint.id }, { token: server.adminKey });
  });

  it("retries a failing receiver with growing delays, and disables the endpoint on 410 Gone, telling its owner", async () => {
    // given a partner's endpoint whose receiver answers 500
    const hooks = await receiver();
    hooks.answer(500);
    const endpoint = await createEndpoint(keys.host, { url: hooks.url, eventTypes: ["WEBHOOK_PING"] });
    await server.gql(PING, { id: endpoint.id }, { token: keys.host });

    // when the worker runs
    await step();

    // then the delivery waits 5 s for its next attempt, and nothing is sent before that
    let log = await endpointLog(endpoint.id, keys.host);
    const sentAt = server.clock.now().getTime();
    expect(log.deliveries.edges[0].node).toMatchObject({ status: "RETRYING", attempts: 1, lastResponseStatus: 500, lastError: "HTTP 500: status 500", nextAttemptAt: new Date(sentAt + 5 * SECOND).toISOString() });
    expect(log.status).toBe("ENABLED");
    await step();
    server.clock.advance(4 * SECOND);
    await step();
    expect(hooks.received).toHaveLength(1);
    server.clock.advance(SECOND);
    await step();
    expect(hooks.received).toHaveLength(2);
    log = await endpointLog(endpoint.id, keys.host);
    expect(log.deliveries.edges[0].node).toMatchObject({ status: "RETRYING", attempts: 2, nextAttemptAt: new Date(sentAt + 5 * SECOND + 5 * MINUTE).toISOString() });
    expect(log.failingSince).toBe(new Date(sentAt).toISOString());
    // every attempt of the message carries the same webhook-id
    expect(new Set(hooks.received.map((request) => request.headers["webhook-id"])).size).toBe(1);

    // when the receiver says the endpoint is gone
    hooks.answer(410);
    server.clock.advance(5 * MINUTE);
    await step();

    // then the endpoint is disabled, the delivery failed, and nothing more is sent
    expect(hooks.received).toHaveLength(3);
    log = await endpointLog(endpoint.id, keys.host);
    expect(log.status).toBe("DISABLED");
    expect(log.deliveries.edges[0].node).toMatchObject({ status: "FAILED", attempts: 3, lastResponseStatus: 410, nextAttemptAt: null });
    const ping = await server.gql(PING, { id: endpoint.id }, { token: keys.host });
    expect(ping.data.sendTestWebhook.userErrors).toEqual([{ code: "INVALID_STATE", message: expect.stringMatching(/disabled/) }]);
    server.clock.advance(HOUR);
    await step();
    expect(hooks.received).toHaveLength(3);

    // and the organisation's contact was emailed
    await drain(server.app.worker);
    const notices = mail.smtp.to("webhooks@host.example");
    expect(notices.map((email) => email.parsed.subject)).toEqual(["Your webhook endpoint was disabled"]);
    expect(notices[0]!.parsed.text).toContain(hooks.url);
    expect(notices[0]!.parsed.text).toContain("410 Gone");
    await server.gql(DELETE, { id: endpoint.id }, { token: keys.host });
  });

  it("does not follow redirects: a 3xx is a failed attempt", async () => {
    // given a receiver that redirects to another
    const [hooks, elsewhere] = [await receiver(), await receiver()];
    hooks.answer(307, { location: elsewhere.url });
    const endpoint = await createEndpoint(server.adminKey, { url: hooks.url, eventTypes: ["WEBHOOK_PING"] });
    await server.admin(PING, { id: endpoint.id });

    // when the worker runs
    await step();

    // then the other receiver got nothing, and the attempt counts as failed
    expect(hooks.received).toHaveLength(1);
    expect(elsewhere.received).toEqual([]);
    expect((await endpointLog(endpoint.id)).deliveries.edges[0].node).toMatchObject({ status: "RETRYING", lastResponseStatus: 307, lastError: expect.stringContaining("redirects are not followed") });
    await server.gql(DELETE, { id: endpoint.id }, { token: server.adminKey });
  });

  it("marks an endpoint FAILING after 24 hours of failures, emails the owner, and recovers on success", async () => {
    // given a sponsor's endpoint whose receiver keeps failing
    const hooks = await receiver();
    hooks.answer(503);
    const endpoint = await createEndpoint(keys.sponsor, { url: hooks.url, eventTypes: ["WEBHOOK_PING"] });
    await server.gql(PING, { id: endpoint.id }, { token: keys.sponsor });
    const started = server.clock.now().getTime();

    // when the retries run for more than a day (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 12 h)
    await step();
    for (const delay of [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 12 * HOUR]) {
      server.clock.advance(delay);
      await step();
    }

    // then it is FAILING, still retried, and its owner was told once
    expect(hooks.received).toHaveLength(8);
    let log = await endpointLog(endpoint.id);
    expect(log).toMatchObject({ status: "FAILING", failingSince: new Date(started).toISOString() });
    expect(log.deliveries.edges[0].node).toMatchObject({ status: "RETRYING", attempts: 8 });
    await drain(server.app.worker);
    expect(mail.smtp.to("webhooks@sponsor.example").map((email) => email.parsed.subject)).toEqual(["Your webhook endpoint is failing"]);

    // when the receiver works again
    hooks.answer(204);
    server.clock.advance(16 * HOUR);
    await step();

    // then the message is delivered and the endpoint is ENABLED again
    log = await endpointLog(endpoint.id);
    expect(log).toMatchObject({ status: "ENABLED", failingSince: null });
    expect(log.deliveries.edges[0].node).toMatchObject({ status: "SUCCEEDED", attempts: 9, lastResponseStatus: 204 });
    await server.gql(DELETE, { id: endpoint.id }, { token: keys.sponsor });
  });

  it("disables an endpoint that has failed for 5 days, and tells its owner", async () => {
    // given an endpoint whose receiver never succeeds, and a message retried until it failed for good (about 3 days)
    const hooks = await receiver();
    hooks.answer(500);
    const endpoint = await createEndpoint(keys.host, { url: hooks.url, eventTypes: ["WEBHOOK_PING"] });
    await server.gql(PING, { id: endpoint.id }, { token: keys.host });
    const started = server.clock.now().getTime();
    await step();
    for (const delay of [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 12 * HOUR, 16 * HOUR, 24 * HOUR]) {
      server.clock.advance(delay);
      await step();
    }
    let log = await endpointLog(endpoint.id);
    expect(hooks.received).toHaveLength(10);
    expect(log.status).toBe("FAILING");
    expect(log.deliveries.edges[0].node).toMatchObject({ status: "FAILED", attempts: 10, nextAttemptAt: null });

    // when another message fails on the fifth day
    server.clock.set(new Date(started + 5 * 24 * HOUR));
    await server.gql(PING, { id: endpoint.id }, { token: keys.host });
    await step();

    // then the endpoint is DISABLED and its owner was told it is failing, then that it is disabled
    log = await endpointLog(endpoint.id);
    expect(log.status).toBe("DISABLED");
    await drain(server.app.worker);
    const subjects = mail.smtp.to("webhooks@host.example").map((email) => email.parsed.subject);
    expect(subjects.slice(-2)).toEqual(["Your webhook endpoint is failing", "Your webhook endpoint was disabled"]);
    await server.gql(DELETE, { id: endpoint.id }, { token: keys.host });
  });

  it("gives up on a receiver that does not answer within the timeout", async () => {
    // given a receiver that accepts the request and never answers
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hooks`;
    const endpoint = await createEndpoint(server.adminKey, { url, eventTypes: ["WEBHOOK_PING"] });
    await server.admin(PING, { id: endpoint.id });

    // when the worker sends with a short timeout (15 s in production)
    const began = Date.now();
    const summary = await deliverDueWebhooks(server.app.deps, { info: () => undefined, warn: () => undefined, error: () => undefined } as never, { timeoutMs: 300 });

    // then the attempt ended at the timeout and is retried later
    expect(Date.now() - began).toBeLessThan(5000);
    expect(summary).toMatchObject({ claimed: 1, retrying: 1 });
    expect((await endpointLog(endpoint.id)).deliveries.edges[0].node).toMatchObject({ status: "RETRYING", lastResponseStatus: null, lastError: expect.stringContaining("no response within 0.3 s") });
    silent.closeAllConnections();
    silent.close();
    await server.gql(DELETE, { id: endpoint.id }, { token: server.adminKey });
  });

  it("keeps one dead receiver with a backlog from starving the others: they are delivered in the same run, and it is tried once", async () => {
    // given endpoint A whose receiver never answers, with 30 messages due (more than a batch), and after them 3 for endpoint B
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    let began = 0;
    let attemptsAtA = 0;
    silent.on("request", () => attemptsAtA++);
    const dead = await createEndpoint(server.adminKey, { url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hooks`, eventTypes: ["WEBHOOK_PING"] });
    for (let index = 0; index < 30; index++) await server.admin(PING, { id: dead.id });
    server.clock.advance(1);
    const arrivals: number[] = [];
    const working = createServer((request, response) => {
      arrivals.push(Date.now() - began);
      request.resume();
      response.writeHead(204).end();
    });
    await new Promise<void>((resolve) => working.listen(0, "127.0.0.1", resolve));
    const healthy = await createEndpoint(server.adminKey, { url: `http://127.0.0.1:${(working.address() as AddressInfo).port}/hooks`, eventTypes: ["WEBHOOK_PING"] });
    for (let index = 0; index < 3; index++) await server.admin(PING, { id: healthy.id });

    // when one worker run sends with a 2 s timeout (15 s in production)
    began = Date.now();
    const summary = await deliverDueWebhooks(server.app.deps, { info: () => undefined, warn: () => undefined, error: () => undefined } as never, { timeoutMs: 2000 });

    // then B's messages arrived without waiting for A's timeout, and A was tried once in the run, its other messages left for later
    expect(arrivals).toHaveLength(3);
    expect(Math.max(...arrivals)).toBeLessThan(1500);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(attemptsAtA).toBe(1);
    expect(summary).toMatchObject({ succeeded: 3, retrying: 1 });
    const log = await endpointLog(dead.id);
    expect(log.deliveries.edges.filter((edge: { node: { attempts: number } }) => edge.node.attempts > 0)).toHaveLength(1);
    expect(log.deliveries.edges.filter((edge: { node: { status: string } }) => edge.node.status === "PENDING")).toHaveLength(29);
    for (const started of [silent, working]) {
      started.closeAllConnections();
      started.close();
    }
    await server.gql(DELETE, { id: dead.id }, { token: server.adminKey });
    await server.gql(DELETE, { id: healthy.id }, { token: server.adminKey });
  });

  it("abandons a name that does not resolve within the send's deadline", async () => {
    // given an endpoint whose host name the resolver never answers for
    const hooks = await receiver();
    const endpoint = await createEndpoint(server.adminKey, { url: hooks.url, eventTypes: ["WEBHOOK_PING"] });
    await setEndpointUrl(server, endpoint.id, "http://never-answers.example/hooks");
    await server.admin(PING, { id: endpoint.id });

    // when the worker sends with a 300 ms deadline
    const began = Date.now();
    const summary = await deliverDueWebhooks(server.app.deps, { info: () => undefined, warn: () => undefined, error: () => undefined } as never, { timeoutMs: 300, lookupHost: () => new Promise(() => undefined) });

    // then the attempt ended at the deadline and is retried later, and nothing was sent
    expect(Date.now() - began).toBeLessThan(5000);
    expect(summary).toMatchObject({ claimed: 1, retrying: 1 });
    expect((await endpointLog(endpoint.id)).deliveries.edges[0].node).toMatchObject({ status: "RETRYING", lastResponseStatus: null, lastError: "The webhook URL's host never-answers.example could not be resolved." });
    expect(hooks.received).toEqual([]);
    await server.gql(DELETE, { id: endpoint.id }, { token: server.adminKey });
  });

  it("renews the lease once the name is resolved, and keeps it at least twice the send's deadline", async () => {
    // given an endpoint whose name takes 50 s (of the test clock) to resolve, and a receiver that notes the lease it is sent under
    const leases: number[] = [];
    const noting = createServer(async (request, response) => {
      const [row] = await server.app.deps.db
        .select({ claimedUntil: webhookDeliveries.claimedUntil })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, "PENDING")));
      leases.push(row!.claimedUntil!.getTime());
      request.resume();
      response.writeHead(204).end();
    });
    await new Promise<void>((resolve) => noting.listen(0, "127.0.0.1", resolve));
    const port = (noting.address() as AddressInfo).port;
    const endpoint = await createEndpoint(server.adminKey, { url: `http://127.0.0.1:${port}/hooks`, eventTypes: ["WEBHOOK_PING"] });
    const endpointId = endpoint.id;
    await setEndpointUrl(server, endpoint.id, `http://slow-dns.example:${port}/hooks`);
    await server.admin(PING, { id: endpoint.id });
    const slowLookup = async () => {
      server.clock.advance(50 * SECOND);
      return [{ address: "127.0.0.1", family: 4 }];
    };

    // when the worker sends with a 5 s deadline and a lease asked for of 1 s
    const summary = await deliverDueWebhooks(server.app.deps, { info: () => undefined, warn: () => undefined, error: () => undefined } as never, { timeoutMs: 5000, leaseMs: 1000, lookupHost: slowLookup });

    // then the POST went out under a lease renewed after the lookup, of twice the deadline
    expect(summary).toMatchObject({ succeeded: 1 });
    expect(leases).toEqual([server.clock.now().getTime() + 10_000]);
    noting.closeAllConnections();
    noting.close();
    await server.gql(DELETE, { id: endpoint.id }, { token: server.adminKey });
  });

  it("tells of the waitlist, its offers and their lapse, access grants and cancelled events, and of no change that failed", async () => {
    // given a one-seat course without review or price, with a prerequisite already open, and an admin's endpoint
    const hooks = await receiver();
    const endpoint = await createEndpoint(server.adminKey, { url: hooks.url, eventTypes: everyType });
    const small = await createCourse(server, { capacity: 1, requiresReview: false, priceMinor: 0, prerequisite: { title: "Online MBT", accessLeadDays: 365 } });
    const types = () => hooks.received.map((request) => JSON.parse(request.body)).map((message) => `${message.type}:${message.data.registration?.attendee.lastName ?? message.data.event.slug}`);

    // when one takes the seat, a second is refused (a userError), and a third joins the waitlist
    const first = await server.gql(REGISTER, { input: registrationInput(small, {}, { lastName: "First" }) });
    const refused = await server.gql(REGISTER, { input: registrationInput(small, { joinWaitlist: false }, { lastName: "Refused" }) });
    const waiting = await server.gql(REGISTER, { input: registrationInput(small, {}, { lastName: "Waiting" }) });
    expect(refused.data.register.userErrors[0].code).toBe("EVENT_FULL");
    await step();

    // then
    expect(types()).toEqual([
      `event.updated:${small.slug}`,
      "registration.created:First",
      "registration.confirmed:First",
      "course_access.granted:First",
      "registration.created:Waiting",
      "registration.waitlisted:Waiting",
    ]);

    // when the first cancels, the place goes to the one waiting (free: confirmed at once), and the event is cancelled
    hooks.received.length = 0;
    await server.admin(`mutation ($id: ID!) { cancelRegistration(input: { registrationId: $id }) { userErrors { code } } }`, { id: first.data.register.registration.id });
    await server.admin(`mutation ($id: ID!) { cancelEvent(id: $id, reason: "Trainer ill") { userErrors { code } } }`, { id: small.id });
    await step();

    // then
    expect(types().sort()).toEqual(
      [
        "registration.cancelled:First",
        "waitlist_offer.made:Waiting",
        "registration.confirmed:Waiting",
        "course_access.granted:Waiting",
        `event.cancelled:${small.slug}`,
        "registration.cancelled:Waiting",
      ].sort(),
    );
    expect(waiting.data.register.registration.status).toBe("WAITLISTED");
    await server.gql(DELETE, { id: endpoint.id }, { token: server.adminKey });
  });

  it("tells of a waitlist offer that lapsed", async () => {
    // given a paid course with one seat, its holder and someone waiting
    const hooks = await receiver();
    const endpoint = await createEndpoint(server.adminKey, { url: hooks.url, eventTypes: ["WAITLIST_OFFER_MADE", "WAITLIST_OFFER_EXPIRED", "REGISTRATION_CANCELLED"] });
    const small = await createCourse(server, { capacity: 1, requiresReview: false, offerWindowHours: 24 });
    const holder = await server.gql(REGISTER, { input: registrationInput(small, {}, { lastName: "Holder" }) });
    await server.gql(REGISTER, { input: registrationInput(small, {}, { lastName: "Waiting" }) });
    await server.admin(`mutation ($id: ID!) { cancelRegistration(input: { registrationId: $id }) { userErrors { code } } }`, { id: holder.data.register.registration.id });

    // when the offer is not taken up within its window
    server.clock.advance(25 * HOUR);
    await step();
    await step();

    // then
    const messages = hooks.received.map((request) => JSON.parse(request.body)).map((message) => `${message.type}:${message.data.registration.attendee.lastName}`);
    expect(messages.sort()).toEqual(["registration.cancelled:Holder", "waitlist_offer.made:Waiting", "waitlist_offer.expired:Waiting", "registration.cancelled:Waiting"].sort());
    await server.gql(DELETE, { id: endpoint.id }, { token: server.adminKey });
  });

  it("redelivers a logged message with the same webhook-id", async () => {
    // given a delivered ping
    const hooks = await receiver();
    const endpoint = await createEndpoint(keys.stranger, { url: hooks.url, eventTypes: ["WEBHOOK_PING"] });
    await server.gql(PING, { id: endpoint.id }, { token: keys.stranger });
    await step();
    const first = (await endpointLog(endpoint.id, keys.stranger)).deliveries.edges[0].node;

    // when the partner asks for it again
    const { data } = await server.gql(REDELIVER, { id: first.id }, { token: keys.stranger });
    await step();

    // then the same message arrives again, as a new entry of the log
    expect(data.redeliverWebhook).toMatchObject({ messageId: first.messageId, status: "PENDING", attempts: 0 });
    expect(data.redeliverWebhook.id).not.toBe(first.id);
    expect(hooks.received.map((request) => request.headers["webhook-id"])).toEqual([first.messageId, first.messageId]);
    expect(hooks.received[1]!.body).toBe(hooks.received[0]!.body);
    // another organisation cannot redeliver it, nor see it
    expect((await server.gql(REDELIVER, { id: first.id }, { token: keys.host })).data.redeliverWebhook).toBeNull();
    expect(await endpointLog(endpoint.id, keys.host)).toBeUndefined();
    await server.gql(DELETE, { id: endpoint.id }, { token: keys.stranger });
  });

  it("tells each organisation only what it may read: attendee data to the host, none to a sponsor, nothing to a stranger", async () => {
    // given endpoints for the host, the sponsor, an unrelated partner and an admin, subscribed to everything
    const hooks = { host: await receiver(), sponsor: await receiver(), stranger: await receiver(), admin: await receiver() };
    const created = {
      host: await createEndpoint(keys.host, { url: hooks.host.url, eventTypes: everyType }),
      sponsor: await createEndpoint(keys.sponsor, { url: hooks.sponsor.url, eventTypes: everyType }),
      stranger: await createEndpoint(keys.stranger, { url: hooks.stranger.url, eventTypes: everyType }),
      admin: await createEndpoint(server.adminKey, { url: hooks.admin.url, eventTypes: everyType }),
    };
    const types = (received: ReceivedWebhook[]) => received.map((request) => JSON.parse(request.body).type);

    // when a registration is made, approved, paid and cancelled, and the event is changed
    const input = registrationInput(course, {}, { lastName: "Confidential", email: "secret.attendee@clinic.example" });
    const { data } = await server.gql(REGISTER, { input });
    const id = data.register.registration.id;
    await server.admin(`mutation ($id: ID!) { reviewRegistration(input: { registrationId: $id, decision: APPROVE }) { userErrors { code } } }`, { id });
    await server.admin(`mutation ($id: ID!) { recordPayment(input: { registrationId: $id, amountMinor: 125000, currency: "USD", method: "card", reference: "x" }) { userErrors { code } } }`, { id });
    await server.admin(`mutation ($id: ID!) { cancelRegistration(input: { registrationId: $id }) { userErrors { code } } }`, { id });
    await server.admin(UPDATE_EVENT, { id: course.id, input: courseInput({ slug: course.slug, venueId: course.venueId, summary: "Now with a summary" }) });
    await step();

    // then the host and the admin heard of all of it, with the attendee
    const lifecycle = ["registration.created", "registration.approved", "payment.recorded", "registration.confirmed", "registration.cancelled", "event.updated"];
    for (const who of ["host", "admin"] as const) {
      expect(types(hooks[who].received).sort()).toEqual([...lifecycle].sort());
      const createdMessage = JSON.parse(hooks[who].received.find((request) => JSON.parse(request.body).type === "registration.created")!.body);
      expect(createdMessage.data.registration.attendee).toMatchObject({ lastName: "Confidential", email: "secret.attendee@clinic.example" });
      for (const request of hooks[who].received) {
        const message = JSON.parse(request.body);
        if (message.type !== "event.updated") expect(message.data.registration.updatedAt).toEqual(expect.any(String));
      }
    }
    // the sponsor only of the event, without any attendee data
    expect(types(hooks.sponsor.received)).toEqual(["event.updated"]);
    // the unrelated partner of nothing at all
    expect(hooks.stranger.received).toEqual([]);
    for (const who of ["sponsor", "stranger"] as const) {
      for (const request of hooks[who].received) {
        expect(request.body).not.toContain("Confidential");
        expect(request.body).not.toContain("secret.attendee");
        expect(request.body).not.toContain(id);
      }
    }
    // each message is signed with its own endpoint's secret
    for (const who of ["host", "sponsor", "admin"] as const) {
      for (const request of hooks[who].received) expect(verifyWebhook(created[who].secret, request, server.clock.now())).toBeTruthy();
    }
    for (const who of Object.keys(created) as (keyof typeof created)[]) {
      await server.gql(DELETE, { id: created[who].id }, { token: who === "admin" ? server.adminKey : keys[who] });
    }
  });

  it("purges the delivery log after 30 days", async () => {
    // given a delivered message
    const hooks = await receiver();
    const endpoint = await createEndpoint(server.adminKey, { url: hooks.url, eventTypes: ["WEBHOOK_PING"] });
    await server.admin(PING, { id: endpoint.id });
    await step();
    expect((await endpointLog(endpoint.id)).deliveries.totalCount).toBe(1);

    // when 29 days, then 31 days have passed
    server.clock.advance(29 * 24 * HOUR);
    await step();
    expect((await endpointLog(endpoint.id)).deliveries.totalCount).toBe(1);
    server.clock.advance(2 * 24 * HOUR);
    const summary = await step();

    // then
    expect(summary.jobs.webhookDeliveriesPurged).toBeGreaterThanOrEqual(1);
    expect((await endpointLog(endpoint.id)).deliveries.totalCount).toBe(0);
    await server.gql(DELETE, { id: endpoint.id }, { token: server.adminKey });
  });

  it("validates endpoint input and keeps partners to their own organisation", async () => {
    // when
    const noTypes = await server.gql(CREATE_ENDPOINT, { input: { url: "http://127.0.0.1:9/x", eventTypes: [] } }, { token: keys.host });
    const otherOrg = await server.gql(CREATE_ENDPOINT, { input: { url: "http://127.0.0.1:9/x", eventTypes: ["WEBHOOK_PING"], organisationId: orgs.sponsor } }, { token: keys.host });
    const adminForOrg = await server.admin(CREATE_ENDPOINT, { input: { url: "http://127.0.0.1:9/x", eventTypes: ["WEBHOOK_PING"], organisationId: orgs.stranger } });
    const unknown = await server.gql(UPDATE, { id: adminForOrg.data.createWebhookEndpoint.endpoint.id, input: { enabled: false } }, { token: keys.host });

    // then
    expect(noTypes.data.createWebhookEndpoint.userErrors).toEqual([{ field: ["input", "eventTypes"], code: "REQUIRED", message: expect.any(String) }]);
    expect(otherOrg.data.createWebhookEndpoint.userErrors).toEqual([{ field: ["input", "organisationId"], code: "INVALID", message: expect.any(String) }]);
    expect(adminForOrg.data.createWebhookEndpoint.endpoint).toMatchObject({ organisation: { slug: "stranger-org" }, status: "ENABLED" });
    expect(unknown.data.updateWebhookEndpoint.userErrors).toEqual([{ field: ["id"], code: "NOT_FOUND", message: expect.any(String) }]);
    // the stranger sees the endpoint an admin made for it, and may disable it
    const own = await server.gql(UPDATE, { id: adminForOrg.data.createWebhookEndpoint.endpoint.id, input: { enabled: false } }, { token: keys.stranger });
    expect(own.data.updateWebhookEndpoint).toMatchObject({ endpoint: { status: "DISABLED" }, userErrors: [] });
    // publishable keys and registrants may not manage endpoints
    const publishable = await createKey(server, { kind: "PUBLISHABLE", organisationId: orgs.host, allowedOrigins: ["https://host.example"] });
    const refused = await server.gql(ENDPOINTS, {}, { token: publishable.key, headers: { origin: "https://host.example" } });
    expect(refused.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("webhook URLs outside development", () => {
  let server: TestServer;
  let hooks: WebhookReceiver;

  beforeAll(async () => {
    server = await startTestServer();
    hooks = await startWebhookReceiver();
  });
  afterAll(async () => {
    await hooks.close();
    await server.close();
  });

  it("refuses loopback, private, link-local and non-http(s) URLs, changing nothing", async () => {
    // given
    const before = await rowCounts(server);
    const refusedAddresses = [
      "http://127.0.0.1/hooks",
      "http://10.0.0.1/hooks",
      "http://192.168.1.20/hooks",
      "http://172.16.0.5/hooks",
      "http://[::1]/hooks",
      "http://169.254.169.254/latest/meta-data/",
      "http://[::ffff:127.0.0.1]/hooks",
      "http://[::ffff:a9fe:a9fe]/hooks",
      "http://[fd00::1]/hooks",
      "http://[fe80::1]/hooks",
      "http://0.0.0.0/hooks",
      "http://localhost/hooks",
      // IPv4-translated (::ffff:0:0/96) loopback, local-use NAT64, 6to4 of loopback and of the metadata address, Teredo
      "http://[::ffff:0:7f00:1]/hooks",
      "http://[64:ff9b:1::a00:1]/hooks",
      "http://[2002:7f00:1::1]/hooks",
      "http://[2002:a9fe:a9fe::1]/hooks",
      "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hooks",
    ];

    for (const url of refusedAddresses) {
      // when
      const { data } = await server.admin(CREATE_ENDPOINT, { input: { url, eventTypes: ["WEBHOOK_PING"] } });
      // then
      expect(data.createWebhookEndpoint, url).toEqual({ endpoint: null, signingSecret: null, userErrors: [{ field: ["input", "url"], code: "URL_NOT_ALLOWED", message: expect.any(String) }] });
    }
    // a scheme other than http(s) is refused already by the URL scalar of the contract, before any resolver runs
    const ftp = await server.admin(CREATE_ENDPOINT, { input: { url: "ftp://files.example/hooks", eventTypes: ["WEBHOOK_PING"] } });
    expect(ftp.errors?.[0]).toMatchObject({ message: expect.stringContaining("URL must use http or https"), extensions: { code: "BAD_USER_INPUT" } });
    expect(await rowCounts(server)).toEqual(before);

    // a 6to4 address of a public IPv4 one is a public address
    const sixToFour = await server.admin(CREATE_ENDPOINT, { input: { url: "http://[2002:5db8:d70e::1]/hooks", eventTypes: ["WEBHOOK_PING"] } });
    expect(sixToFour.data.createWebhookEndpoint.userErrors).toEqual([]);
  });

  it("does not tell what a refused name resolves to", async () => {
    // when a name resolves to loopback
    const { data } = await server.admin(CREATE_ENDPOINT, { input: { url: "http://localhost:8080/hooks", eventTypes: ["WEBHOOK_PING"] } });

    // then the refusal says only that it is not public
    expect(data.createWebhookEndpoint.userErrors).toEqual([
      { field: ["input", "url"], code: "URL_NOT_ALLOWED", message: "The webhook URL's host localhost does not resolve to a public address; webhooks go to public addresses only." },
    ]);
  });

  it("checks the address again when sending, and sends nothing to a private one", async () => {
    // given an endpoint whose host pointed at a public address when it was made, and at loopback now (DNS rebinding)
    const created = await server.admin(CREATE_ENDPOINT, { input: { url: "http://93.184.215.14/hooks", eventTypes: ["WEBHOOK_PING"] } });
    const id = created.data.createWebhookEndpoint.endpoint.id;
    await setEndpointUrl(server, id, hooks.url);

    // when a message is due
    await server.admin(PING, { id });
    await server.app.worker.runOnce();

    // then nothing reached the receiver and the log says why
    expect(hooks.received).toEqual([]);
    const { data } = await server.admin(ENDPOINTS);
    const node = data.webhookEndpoints.find((endpoint: { id: string }) => endpoint.id === id).deliveries.edges[0].node;
    expect(node).toMatchObject({ status: "RETRYING", attempts: 1, lastResponseStatus: null, lastError: expect.stringMatching(/127\.0\.0\.1 is a loopback, private or link-local address/) });
  });
});
