import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { ApolloServerPlugin } from "@apollo/server";
import { renderPlaygroundPage } from "@apollographql/graphql-playground-html";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { isLoopbackHostHeader } from "../common/loopback.js";
import type { Deps } from "../deps.js";
import { exampleTabs, findExampleCourse } from "./example-tabs.js";

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

/**
 * Serves the IDE with the local admin key in its admin tabs, but only to a browser that
 * reached this server by a loopback name: a page of another site whose domain name has been
 * pointed at 127.0.0.1 (DNS rebinding) sends its own Host and gets Apollo's landing page,
 * which never carries the key.
 */
export function registerIdeWithLocalKey(app: FastifyInstance, deps: Deps, adminKey: string | null): void {
  if (!adminKey) return;
  app.addHook("onRequest", async (request, reply) => {
    if (request.method !== "GET" || !request.headers.accept?.includes("text/html")) return;
    const url = new URL(request.url, "http://localhost");
    if (url.pathname !== "/graphql" || url.searchParams.has("query") || url.searchParams.has("extensions")) return;
    if (!isLoopbackHostHeader(request.headers.host)) return;
    return reply.type("text/html; charset=utf-8").send(await renderIde(deps, { adminKey }));
  });
}

export interface IdeOptions {
  /** The local admin key, put in the admin example tabs; null in production (the caller decides). */
  adminKey: string | null;
}

async function renderIde(deps: Deps, options: IdeOptions): Promise<string> {
  const course = await findExampleCourse(deps);
  const html = renderPlaygroundPage({
    version: PLAYGROUND_VERSION,
    cdnUrl: "/vendor",
    title: "Event registration API",
    // Apollo Server 5 sends neither tracing nor query-plan extensions: strip them if a proxy adds them.
    settings: { "request.credentials": "same-origin", "schema.polling.enable": false, "editor.reuseHeaders": true, "tracing.hideTracingResponse": true, "queryPlan.hideQueryPlanResponse": true },
    tabs: exampleTabs({ endpoint: "/graphql", course, adminKey: options.adminKey }),
  });
  // The page links Google Fonts; without internet that request would hang. System fonts do.
  return html.replace(/<link href="https:\/\/fonts\.googleapis\.com[^>]*>/, "").replace("</head>", `${hideExtensionsDrawer}</head>`);
}

/*
 * The result pane's bottom drawer has two panels, Tracing and Query Plan, and this server
 * supports neither (no Apollo tracing, no federation), so both only ever say so ("doesn't
 * support Apollo Federation"). Playground has no setting to hide the drawer: it is the last
 * child of the result pane, the element whose child holds the Execute button. Playground
 * 1.7.42 is pinned and served from node_modules, so this structure cannot change under us;
 * the IDE test checks the drawer stays hidden.
 */
const hideExtensionsDrawer = `<style>div:has(> div > [title^="Execute Query"]) > div:last-child { display: none !important; }</style>`;

/**
 * Apollo landing page: what a browser gets on GET /graphql, rendered per visit so the
 * examples name the current course. It never carries a key (see registerIdeWithLocalKey).
 */
export function offlinePlaygroundPlugin(deps: Deps): ApolloServerPlugin {
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html: async () => renderIde(deps, { adminKey: null }) };
        },
      };
    },
  };
}
