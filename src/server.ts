import { sql } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from "@as-integrations/fastify";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import cors from "@fastify/cors";
import Fastify, { type FastifyInstance } from "fastify";
import { authenticate } from "./auth/authenticate.js";
import { knownOperationTypesRule, queryCostPlugin, queryLimits } from "./auth/query-limits.js";
import { MemoryRateLimitStore, rateLimitResponsePlugin, RateLimiter, type RateLimitStore } from "./auth/rate-limit.js";
import { RedisRateLimitStore } from "./auth/rate-limit-redis.js";
import { cachedGraphqlHandler } from "./cache/cached-graphql-handler.js";
import { dataVersion } from "./cache/data-version.js";
import { createLoaders, type Context } from "./context.js";
import type { Deps } from "./deps.js";
import { offlinePlaygroundPlugin, registerIdeAssets, registerIdeWithLocalKey } from "./ide/playground.js";
import { cachedPublishableOrigins } from "./modules/api-keys/api-keys.service.js";
import { registerAttendanceRoutes } from "./modules/attendance/attendance-routes.js";
import { registerLandingPage } from "./pages/landing-page.js";
import { registerRegistrantPages } from "./pages/registrant-pages.js";
import { registerWidgetScript } from "./pages/widget-script.js";
import { buildAppSchema } from "./schema.js";
import { compiledExecution, type CompiledExecutionStats } from "./server/compiled-execution.js";
import { registerLoadShedding } from "./server/overload.js";

/**
 * Largest request body accepted; larger ones get 413 before any parsing. The largest
 * legitimate body is an admin's createEvent/updateEvent with a 20,000-character
 * description and 100-item lists: well under 256 KiB.
 */
export const BODY_LIMIT_BYTES = 256 * 1024;

const expectedErrorCodes = new Set([
  "EVENT_BUSY",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
]);

/** In production, "Did you mean …?" hints (fields, arguments, types, enum values) would map the schema for a prober. */
function hideSuggestionsPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) error.message = error.message.replace(/\s*Did you mean [\s\S]*$/, "");
        },
      };
    },
  };
}

/**
 * Unexpected errors are logged with the request id and masked in the response, which
 * keeps the id so an operator can find the log line.
 */
function errorMaskingPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const code = error.extensions?.code;
            if (typeof code !== "string" || !expectedErrorCodes.has(code)) {
              contextValue?.log?.error({ err: error.originalError ?? error, path: error.path }, "unexpected error");
            }
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== "single" || !response.body.singleResult.errors) return;
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) => {
            const code = error.extensions?.code;
            if (typeof code === "string" && expectedErrorCodes.has(code)) return error;
            return { message: "Internal server error", path: error.path, extensions: { code: "INTERNAL_SERVER_ERROR", requestId: contextValue?.requestId } };
          });
        },
      };
    },
  };
}

function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

export interface ServerHandle {
  app: FastifyInstance;
  apollo: ApolloServer<Context>;
  /** How many operations ran compiled and how many in graphql-js. */
  executionStats: CompiledExecutionStats;
}

export interface ServerOptions {
  /** The local admin key `npm start` printed; the IDE puts it in its admin tabs (never in production). */
  localAdminKey?: string | null;
}

export async function createServer(deps: Deps, options: ServerOptions = {}): Promise<ServerHandle> {
  const { config, db, clock } = deps;
  const app = Fastify({
    logger: { level: config.logLevel, redact: ["req.headers.authorization"] },
    bodyLimit: BODY_LIMIT_BYTES,
    // A caller's (or proxy's) X-Request-Id is kept for tracing only if it looks like an id:
    // it is echoed in a header and written to every log line of the request.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && /^[A-Za-z0-9._:-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // A hop count means "believe that many X-Forwarded-For entries" (proxy-addr semantics).
    trustProxy: typeof config.trustProxy === "number" ? trustHops(config.trustProxy) : config.trustProxy,
  });

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });

  // JSON bodies must be UTF-8 (RFC 8259). The default parser would turn invalid bytes into
  // U+FFFD and store them; this one refuses the request instead.
  const parseJson = app.getDefaultJsonParser("error", "error");
  const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const charset = /;\s*charset=("?)([^";]+)\1/i.exec(request.headers["content-type"] ?? "")?.[2];
    if (charset && !/^utf-?8$/i.test(charset)) return done(Object.assign(new Error(`Unsupported charset "${charset.slice(0, 20)}": send UTF-8 JSON`), { statusCode: 415 }), undefined);
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      return done(Object.assign(new Error("Request body is not valid UTF-8"), { statusCode: 400 }), undefined);
    }
    parseJson(request, text, done);
  });

  // Browsers may call from the publishable keys' origins, the configured admin origins
  // and the server's own (the IDE and the manage pages). Other origins get no CORS headers.
  const ownOrigin = new URL(config.publicUrl).origin;
  await app.register(cors, {
    origin: (origin, callback) => {
      if (!origin) return callback(null, false);
      if (origin === ownOrigin || config.adminOrigins.includes(origin)) return callback(null, true);
      cachedPublishableOrigins(db).then(
        (origins) => callback(null, origins.has(origin)),
        (error: Error) => callback(error, false),
      );
    },
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["content-type", "authorization", "apollo-require-preflight", "x-request-id", "x-apollo-operation-name"],
    exposedHeaders: ["x-request-id", "retry-after"],
    maxAge: 600,
  });

  // Depth, aliases and directives: graphql-armor, while validating. Tokens: graphql-js's
  // own parser limit (armor's token plugin re-parses and turns every syntax error into a
  // 500). Cost: queryCostPlugin, which also reads page sizes given as variables.
  // Introspection nesting: graphql-js's MaxIntrospectionDepthRule, part of its rules.
  const armor = new ApolloArmor({
    maxDepth: { n: queryLimits.depth },
    maxAliases: { n: queryLimits.aliases },
    maxDirectives: { n: queryLimits.directives },
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  });
  const protection = armor.protect();

  // Apollo parses, validates and runs the plugins; graphql-jit executes (compiled-execution.ts).
  const execution = compiledExecution(buildAppSchema(), config.compiledExecution);
  const apollo = new ApolloServer<Context>({
    ...protection,
    gateway: execution.gateway,
    introspection: config.introspection,
    parseOptions: { maxTokens: queryLimits.tokens },
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT (drain requests, stop the worker, close the database); Apollo must not race it.
    stopOnTerminationSignals: false,
    allowBatchedHttpRequests: false,
    // Compact JSON: Apollo pretty-prints by default, which was 4 % of an event page's CPU
    // (and a third more bytes); the IDE formats results itself.
    stringifyResult: (result) => JSON.stringify(result),
    includeStacktraceInErrorResponses: !config.production,
    plugins: [...(protection.plugins as ApolloServerPlugin<Context>[]), fastifyApolloDrainPlugin(app) as ApolloServerPlugin<Context>, offlinePlaygroundPlugin(deps) as ApolloServerPlugin<Context>, queryCostPlugin() as ApolloServerPlugin<Context>, rateLimitResponsePlugin(), ...(config.production ? [hideSuggestionsPlugin()] : []), errorMaskingPlugin()],
    validationRules: [...protection.validationRules, knownOperationTypesRule],
  });
  await apollo.start();

  await registerIdeAssets(app);
  registerIdeWithLocalKey(app, deps, config.production ? null : (options.localAdminKey ?? null));
  registerRegistrantPages(app);
  registerLandingPage(app);
  registerWidgetScript(app);
  registerAttendanceRoutes(app, deps);

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    try {
      await db.rows(sql`SELECT 1`);
      return { status: "ready" };
    } catch (error) {
      reply.code(503);
      return { status: "unavailable", error: (error as Error).message };
    }
  });

  const rateLimitStore: RateLimitStore = config.rateLimits?.storeUrl ? new RedisRateLimitStore(config.rateLimits.storeUrl, config.rateLimits.keyPrefix) : new MemoryRateLimitStore();
  app.addHook("onClose", async () => rateLimitStore.close?.());
  const rateLimiter = new RateLimiter(rateLimitStore, config.rateLimits);
  const handler = fastifyApolloHandler(apollo, {
    context: async (request) => {
      const viewer = await authenticate(db, clock, request.headers.authorization, request.headers.origin);
      return { deps, viewer, loaders: createLoaders(db), requestId: request.id, ip: request.ip, rateLimiter, log: request.log };
    },
  });
  if (config.overload) registerLoadShedding(app, config.overload);
  const cachedHandler = cachedGraphqlHandler(handler, { config: config.responseCache, dataVersion: dataVersion(db), clock });
  app.route({ url: "/graphql", method: ["GET", "POST"], handler: cachedHandler });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, "request failed");
    const message = status >= 500 ? "Internal server error" : error.message;
    reply.code(status).send({ errors: [{ message, extensions: { code: status === 413 ? "PAYLOAD_TOO_LARGE" : status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST", requestId: request.id } }] });
  });

  return { app, apollo, executionStats: execution.stats };
}
