import { randomUUID } from "node:crypto";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from "@as-integrations/fastify";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import cors from "@fastify/cors";
import Fastify, { type FastifyInstance } from "fastify";
import { authenticate } from "./auth/authenticate.js";
import { createLoaders, type Context } from "./context.js";
import type { Deps } from "./deps.js";
import { offlinePlaygroundPlugin, registerIdeAssets } from "./ide/playground.js";
import { publishableOrigins } from "./modules/api-keys/api-keys.service.js";
import { buildAppSchema } from "./schema.js";

/** Largest request body accepted; larger ones get 413 before any parsing. */
export const BODY_LIMIT_BYTES = 256 * 1024;

/** Query limits, enforced during validation, before any resolver runs (see README "Limits"). */
export const queryLimits = { depth: 12, aliases: 15, directives: 20, tokens: 3000, cost: 5000 } as const;

const expectedErrorCodes = new Set([
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

export interface ServerHandle {
  app: FastifyInstance;
  apollo: ApolloServer<Context>;
}

export async function createServer(deps: Deps): Promise<ServerHandle> {
  const { config, db, clock } = deps;
  const app = Fastify({
    logger: { level: config.logLevel, redact: ["req.headers.authorization"] },
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: "x-request-id",
    genReqId: () => randomUUID(),
    trustProxy: false,
  });

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });

  // Browsers may call from the publishable keys' origins and the configured admin origins.
  await app.register(cors, {
    origin: (origin, callback) => {
      if (!origin) return callback(null, true);
      const allowed = config.adminOrigins.includes(origin) || publishableOrigins(db).has(origin);
      callback(null, allowed);
    },
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["content-type", "authorization", "apollo-require-preflight", "x-request-id", "x-apollo-operation-name"],
    exposedHeaders: ["x-request-id", "retry-after"],
    maxAge: 600,
  });

  const armor = new ApolloArmor({
    maxDepth: { n: queryLimits.depth },
    maxAliases: { n: queryLimits.aliases },
    maxDirectives: { n: queryLimits.directives },
    maxTokens: { n: queryLimits.tokens },
    costLimit: { maxCost: queryLimits.cost },
    blockFieldSuggestion: { enabled: config.production },
  });
  const protection = armor.protect();

  const apollo = new ApolloServer<Context>({
    ...protection,
    schema: buildAppSchema(),
    introspection: config.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: !config.production,
    plugins: [...(protection.plugins as ApolloServerPlugin<Context>[]), fastifyApolloDrainPlugin(app) as ApolloServerPlugin<Context>, offlinePlaygroundPlugin() as ApolloServerPlugin<Context>, errorMaskingPlugin()],
    validationRules: [...protection.validationRules],
  });
  await apollo.start();

  await registerIdeAssets(app);

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    try {
      db.$client.prepare("SELECT 1").get();
      return { status: "ready" };
    } catch (error) {
      reply.code(503);
      return { status: "unavailable", error: (error as Error).message };
    }
  });

  const handler = fastifyApolloHandler(apollo, {
    context: async (request) => {
      const viewer = authenticate(db, clock, request.headers.authorization, request.headers.origin);
      return { deps, viewer, loaders: createLoaders(db), requestId: request.id, ip: request.ip, log: request.log };
    },
  });
  app.route({ url: "/graphql", method: ["GET", "POST"], handler });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, "request failed");
    const message = status >= 500 ? "Internal server error" : error.message;
    reply.code(status).send({ errors: [{ message, extensions: { code: status === 413 ? "PAYLOAD_TOO_LARGE" : status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST", requestId: request.id } }] });
  });

  return { app, apollo };
}
