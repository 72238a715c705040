import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from "fastify";
import type { Clock } from "../common/clock.js";
import type { ResponseCacheConfig } from "../config.js";
import type { DataVersion } from "./data-version.js";
import { ResponseStore, type StoredResponse } from "./response-store.js";

/** What a response to a caller with credentials says to every cache on the way. */
export const CREDENTIALED_CACHE_CONTROL = "private, no-store";

/** Apollo's cache-control plugin writes exactly this for a response all callers may share. */
const PUBLIC_POLICY = /^max-age=(\d+), public$/;

/** Larger keys (long documents, large variables) are not worth a slot. */
const MAX_KEY_LENGTH = 16 * 1024;

const storeLimits = { maxEntries: 2_000, maxBytes: 64 * 1024 * 1024 };

/** Apollo's Fastify integration declares route generics of its own. */
type AnyRouteHandler = RouteHandlerMethod<any, any, any, any>;

export interface ResponseCacheDeps {
  /** Null: nothing is stored (RESPONSE_CACHE=off); the HTTP headers are set all the same. */
  config: ResponseCacheConfig | null;
  dataVersion: DataVersion;
  clock: Clock;
}

/**
 * Wraps the GraphQL route's handler with the in-process cache of anonymous reads and
 * the HTTP caching headers.
 *
 * Only requests without an Authorization header take part, whatever the header holds:
 * every credential (a publishable key too, whose origin must be checked on each request)
 * is resolved and answered afresh, marked `private, no-store`. What is stored is what
 * Apollo's cache-control plugin declared `public` with a positive max-age: no errors, no
 * private or unhinted field, so never a mutation's answer (root Mutation fields carry no
 * hint). An entry is served while the data version it was computed at is current and
 * for at most min(its max-age, the TTL) by the application clock.
 *
 * Requests that miss while the same key is being computed at the current version wait
 * for that answer instead of computing it again (bursts after a write or at expiry).
 */
export function cachedGraphqlHandler(handler: AnyRouteHandler, deps: ResponseCacheDeps): RouteHandlerMethod {
  const { config, dataVersion, clock } = deps;
  const store = config ? new ResponseStore(storeLimits) : null;
  const ttlMs = (config?.ttlSeconds ?? 0) * 1000;
  const inFlight = new Map<string, { version: number; answer: Promise<StoredResponse | null> }>();

  return async function cachedHandler(this: unknown, request, reply) {
    if (request.headers.authorization !== undefined) {
      const body = await handler.call(this as never, request, reply);
      reply.header("cache-control", CREDENTIALED_CACHE_CONTROL);
      addVary(reply);
      return body;
    }
    const key = store && passesCsrfPrevention(request) ? cacheKey(request) : null;
    if (!store || key === null) {
      const body = await handler.call(this as never, request, reply);
      addVary(reply);
      return body;
    }

    const version = dataVersion.current();
    const now = clock.now().getTime();
    const stored = store.get(key, version, now);
    if (stored) return sendStored(reply, stored);
    const pending = inFlight.get(key);
    if (pending && pending.version === version) {
      const answer = await pending.answer;
      if (answer) return sendStored(reply, answer);
    }

    let settle!: (answer: StoredResponse | null) => void;
    const answer = new Promise<StoredResponse | null>((resolve) => (settle = resolve));
    const flight = { version, answer };
    inFlight.set(key, flight);
    try {
      const body = await handler.call(this as never, request, reply);
      const entry = storable(reply, body, version, now, ttlMs);
      if (entry) store.set(key, entry);
      settle(entry);
      addVary(reply);
      return body;
    } catch (error) {
      settle(null);
      throw error;
    } finally {
      if (inFlight.get(key) === flight) inFlight.delete(key);
    }
  };
}

function sendStored(reply: FastifyReply, stored: StoredResponse): string {
  reply.code(200).header("content-type", stored.contentType).header("cache-control", stored.cacheControl);
  addVary(reply);
  return stored.body;
}

function storable(reply: FastifyReply, body: unknown, version: number, computedAt: number, ttlMs: number): StoredResponse | null {
  if (reply.statusCode !== 200 || typeof body !== "string") return null;
  const cacheControl = reply.getHeader("cache-control");
  const contentType = reply.getHeader("content-type");
  if (typeof cacheControl !== "string" || typeof contentType !== "string") return null;
  const maxAge = PUBLIC_POLICY.exec(cacheControl)?.[1];
  if (!maxAge || Number(maxAge) <= 0) return null;
  return { version, computedAt, ttlMs: Math.min(Number(maxAge) * 1000, ttlMs), contentType, cacheControl, body };
}

/**
 * The response depends on the document, operation name, variables and extensions (an
 * APQ hash stands for its document), and on Accept, which picks the content type. A GET
 * is keyed by its URL, as a CDN keys it.
 */
function cacheKey(request: FastifyRequest): string | null {
  const accept = request.headers.accept ?? "";
  let key: string;
  if (request.method === "GET") {
    key = `GET ${request.url}\n${accept}`;
  } else if (request.method === "POST") {
    const body = request.body as Record<string, unknown> | null;
    if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
    try {
      key = `POST ${JSON.stringify([body.query, body.operationName, body.variables, body.extensions])}\n${accept}`;
    } catch {
      // Nesting deeper than the stack (JSON.parse takes more than JSON.stringify): Apollo refuses it.
      return null;
    }
  } else {
    return null;
  }
  return key.length <= MAX_KEY_LENGTH ? key : null;
}

/**
 * Apollo refuses "simple" requests a browser would send cross-site without a preflight
 * (csrfPrevention). A stored answer is served only to a request Apollo would accept:
 * one with a JSON content type or a preflight header. POST bodies reach this handler
 * only as application/json; a GET needs `apollo-require-preflight` (or
 * `x-apollo-operation-name`, or `content-type: application/json`).
 */
function passesCsrfPrevention(request: FastifyRequest): boolean {
  const headers = request.headers;
  for (const name of ["apollo-require-preflight", "x-apollo-operation-name"]) {
    const value = headers[name];
    if (typeof value === "string" && value.length > 0) return true;
  }
  return /^application\/json\s*(;|$)/i.test(headers["content-type"] ?? "");
}

/**
 * Shared caches key an answer by URL only unless told otherwise: Accept picks the content
 * type, and an anonymous answer must not be replayed to a caller with credentials.
 */
function addVary(reply: FastifyReply): void {
  const existing = reply.getHeader("vary");
  const current = typeof existing === "string" ? existing : Array.isArray(existing) ? existing.join(", ") : "";
  reply.header("vary", current ? `${current}, Accept, Authorization` : "Accept, Authorization");
}
