import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Kind, parse, type DocumentNode } from "graphql";
import { eventLoopLagMs } from "../common/event-loop-lag.js";

/*
 * Load shedding. When public reads saturate the CPU, every request waits behind every
 * other one in the event loop: reads time out unanswered and registrations, the
 * business, wait with them. While too many GraphQL requests are in flight, or the event
 * loop lags past a threshold, GraphQL reads are answered at once with 503 and
 * Retry-After (which costs microseconds, not the milliseconds of executing them), so
 * the queue stays short: mutations and the health endpoints are always let through.
 *
 * The delay bounds how long an admitted read has waited in this turn of the loop; the
 * number in flight bounds the work admitted across turns when requests wait on I/O.
 */

export interface OverloadOptions {
  /** Event-loop delay (how long the current turn has run) that turns shedding on. */
  maxEventLoopDelayMs: number;
  /** GraphQL requests (reads and mutations) in flight past which new reads are shed. */
  maxConcurrentRequests: number;
  /** What Retry-After tells a shed client. */
  retryAfterSeconds: number;
}

/** Bounded: documents are only classified while shedding, but any caller can send new ones. */
const MAX_CLASSIFIED_DOCUMENTS = 500;
/** Whether a GraphQL request body asks for a mutation (the operation it names, or its only one). */
export function isMutationRequest(body: unknown, classified: Map<string, DocumentNode | null>): boolean {
  if (!body || typeof body !== "object") return false;
  const { query, operationName } = body as { query?: unknown; operationName?: unknown };
  if (typeof query !== "string") return false; // a persisted-query hash alone: treated as a read
  let document = classified.get(query);
  if (document === undefined) {
    try {
      document = parse(query, { noLocation: true, maxTokens: 2_000 });
    } catch {
      document = null; // Apollo answers the syntax error when it gets to run it
    }
    if (classified.size >= MAX_CLASSIFIED_DOCUMENTS) classified.clear();
    classified.set(query, document);
  }
  if (!document) return false;
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const chosen = typeof operationName === "string" ? operations.find((operation) => operation.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  return chosen?.operation === "mutation";
}

/**
 * Sheds GraphQL reads on `app` while the event loop lags past the threshold (see
 * common/event-loop-lag.ts for how the lag is read) or too many requests are in flight.
 */
export function registerLoadShedding(app: FastifyInstance, options: OverloadOptions): void {
  eventLoopLagMs(); // starts the heartbeat now, not at the first request
  const classified = new Map<string, DocumentNode | null>();
  const body = JSON.stringify({
    errors: [{ message: `The server is overloaded; retry in ${options.retryAfterSeconds} s.`, extensions: { code: "SERVICE_UNAVAILABLE", retryAfterSeconds: options.retryAfterSeconds } }],
  });
  // One log line when shedding starts and one when it ends, not one per shed request.
  let shedding = false;
  let shed = 0;
  let inFlight = 0;
  const release = () => {
    inFlight--;
  };
  app.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.url !== "/graphql") return;
    const admit = () => {
      inFlight++;
      // "close" comes once per response, sent or abandoned by the client.
      reply.raw.once("close", release);
    };
    const delayMs = eventLoopLagMs();
    if (delayMs < options.maxEventLoopDelayMs && inFlight < options.maxConcurrentRequests) {
      if (shedding) app.log.warn({ shedRequests: shed, eventLoopDelayMs: Math.round(delayMs), inFlight }, "load shedding ended");
      shedding = false;
      return admit();
    }
    if (request.method === "POST" && isMutationRequest(request.body, classified)) return admit();
    if (!shedding) {
      app.log.warn({ eventLoopDelayMs: Math.round(delayMs), inFlight, maxEventLoopDelayMs: options.maxEventLoopDelayMs, maxConcurrentRequests: options.maxConcurrentRequests }, "overloaded: answering GraphQL reads with 503 until the load drops");
      shedding = true;
      shed = 0;
    }
    shed++;
    reply.code(503).header("retry-after", String(options.retryAfterSeconds)).header("content-type", "application/json; charset=utf-8");
    return reply.send(body);
  });
}
