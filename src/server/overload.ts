import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Kind, parse, type DocumentNode } from "graphql";
import type { Socket } from "node:net";
import { ReadQueue } from "./read-queue.js";

/*
 * Overload. When public reads ask more than the CPU can serve, the server stays fair and
 * answers everyone:
 * - Reads run in short slices of each turn of the event loop (read-queue.ts): the others
 *   wait in arrival order, and turns stay short enough for connections opened during a
 *   flood to be accepted and read at once.
 * - Mutations (registrations above all: the business) never wait in that queue and are
 *   never shed.
 * - When the oldest waiting read has waited longer than `maxReadWaitMs`, or too many
 *   requests are in flight, new reads are answered at once with 503 + Retry-After (which
 *   costs microseconds, not the milliseconds of executing them); the connection is then
 *   not read again until Retry-After has passed, so a client that ignores it cannot keep
 *   the loop busy with requests that are only shed.
 */

export interface OverloadOptions {
  /** How long the oldest waiting read may have waited before new reads are shed; 0 sheds every read. */
  maxReadWaitMs: number;
  /** How long one turn of the event loop runs reads (see read-queue.ts). */
  turnBudgetMs: number;
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

/** Queues, runs and sheds GraphQL reads on `app` as the comment at the top says. */
export function registerLoadShedding(app: FastifyInstance, options: OverloadOptions): void {
  const classified = new Map<string, DocumentNode | null>();
  const queue = new ReadQueue(options.turnBudgetMs, options.maxReadWaitMs);
  app.server.on("connection", queue.connectionAccepted);
  const body = JSON.stringify({
    errors: [{ message: `The server is overloaded; retry in ${options.retryAfterSeconds} s.`, extensions: { code: "SERVICE_UNAVAILABLE", retryAfterSeconds: options.retryAfterSeconds } }],
  });
  const retryAfterMs = options.retryAfterSeconds * 1000;
  // One log line when shedding starts and one when it ends, not one per shed request.
  let shedding = false;
  let shed = 0;
  let inFlight = 0;
  const release = () => {
    inFlight--;
  };
  const admit = (reply: FastifyReply) => {
    inFlight++;
    // "close" comes once per response, sent or abandoned by the client.
    reply.raw.once("close", release);
  };
  const shedRead = (request: FastifyRequest, reply: FastifyReply) => {
    const waitedMs = queue.oldestWaitMs();
    if (!shedding) {
      app.log.warn({ oldestReadWaitMs: Math.round(waitedMs), queuedReads: queue.length, inFlight, maxReadWaitMs: options.maxReadWaitMs, maxConcurrentRequests: options.maxConcurrentRequests }, "overloaded: answering GraphQL reads with 503 until the load drops");
      shedding = true;
      shed = 0;
    }
    shed++;
    const socket = request.raw.socket;
    reply.raw.once("finish", () => park(socket, retryAfterMs));
    reply.code(503).header("retry-after", String(options.retryAfterSeconds)).header("content-type", "application/json; charset=utf-8");
    reply.send(body);
  };
  app.addHook("preHandler", (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    if (request.routeOptions.url !== "/graphql") return done();
    const now = performance.now();
    queue.requestArrived(now);
    if (request.method === "POST" && isMutationRequest(request.body, classified)) {
      admit(reply);
      return done();
    }
    const waitedMs = queue.oldestWaitMs(now);
    if (options.maxReadWaitMs > 0 && waitedMs <= options.maxReadWaitMs && inFlight < options.maxConcurrentRequests) {
      if (shedding) app.log.warn({ shedRequests: shed, queuedReads: queue.length, inFlight }, "load shedding ended");
      shedding = false;
      if (queue.mayRunNow(now)) {
        admit(reply);
        return done();
      }
      // Runs in a later slice; when it has answered, the next waiting read may run.
      return queue.enqueue(
        () => {
          admit(reply);
          reply.raw.once("close", queue.next);
          done();
        },
        () => shedRead(request, reply),
        () => reply.raw.destroyed,
      );
    }
    shedRead(request, reply);
  });
}

/**
 * The shed client's next request is read after (most of) Retry-After, not at once (see the
 * top). The pause is jittered so that clients shed together do not all come back in one turn.
 */
function park(socket: Socket, retryAfterMs: number): void {
  if (socket.destroyed) return;
  socket.pause();
  setTimeout(() => socket.resume(), retryAfterMs * (0.5 + Math.random() / 2)).unref();
}
