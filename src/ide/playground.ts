import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { ApolloServerPlugin } from "@apollo/server";
import { renderPlaygroundPage } from "@apollographql/graphql-playground-html";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/*
 * The admin IDE (GraphQL Playground) served entirely from this project's dependencies,
 * so it works on a machine with no internet access. Apollo's default landing page
 * loads Apollo Sandbox from a CDN and would not.
 */
const require = createRequire(import.meta.url);
const PLAYGROUND_VERSION = "1.7.42";
const playgroundBuild = join(dirname(require.resolve("@apollographql/graphql-playground-react/package.json")), "build");
const vendorPrefix = `/vendor/@apollographql/graphql-playground-react@${PLAYGROUND_VERSION}/build/`;

export async function registerIdeAssets(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: playgroundBuild, prefix: vendorPrefix, decorateReply: false, maxAge: "1d", immutable: true });
}

function renderIde(): string {
  const html = renderPlaygroundPage({
    version: PLAYGROUND_VERSION,
    cdnUrl: "/vendor",
    title: "Event registration API",
    settings: { "request.credentials": "same-origin", "schema.polling.enable": false, "editor.reuseHeaders": true },
  });
  // The page links Google Fonts; without internet that request would hang. System fonts do.
  return html.replace(/<link href="https:\/\/fonts\.googleapis\.com[^>]*>/, "");
}

/** Apollo landing page: what a browser gets on GET /graphql. */
export function offlinePlaygroundPlugin(): ApolloServerPlugin {
  const html = renderIde();
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html };
        },
      };
    },
  };
}
