import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/*
 * GET /widget/v1/registration.js: the embeddable registration widget, bundled from
 * widget/src by scripts/build-widget.mjs. Partners load it from their own pages, so it is
 * served to any origin: a module script is fetched in CORS mode (Access-Control-Allow-Origin)
 * and a page with Cross-Origin-Embedder-Policy needs Cross-Origin-Resource-Policy.
 *
 * Caching: "v1" names the widget's interface (its attributes, events, parts), not one
 * build, so fixes ship under the same path. Browsers and CDNs keep it for a day and may
 * use it for a week while they revalidate; the ETag (a hash of the content) makes that a 304.
 */
export const WIDGET_SCRIPT_PATH = "/widget/v1/registration.js";
export const WIDGET_CACHE_CONTROL = "public, max-age=86400, stale-while-revalidate=604800";

/** dist/widget/v1/registration.js: the same path from src/pages (tests, dev) and dist/pages (npm start). */
const bundleUrl = new URL("../../dist/widget/v1/registration.js", import.meta.url);

function readBundle(): { body: Buffer; etag: string } | null {
  try {
    const body = readFileSync(bundleUrl);
    return { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 32)}"` };
  } catch {
    return null;
  }
}

export function registerWidgetScript(app: FastifyInstance): void {
  // Read once per server: a rebuilt widget is served after a restart, as the rest of the code is.
  const bundle = readBundle();
  if (!bundle) app.log.warn(`the registration widget is not built (${bundleUrl.pathname} is missing): run \`npm run build\``);

  app.get(WIDGET_SCRIPT_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header("access-control-allow-origin", "*");
    reply.header("cross-origin-resource-policy", "cross-origin");
    reply.header("x-content-type-options", "nosniff");
    if (!bundle) {
      reply.header("cache-control", "no-store");
      return reply.code(503).type("text/plain; charset=utf-8").send("The registration widget is not built on this server: run `npm run build`.\n");
    }
    reply.header("cache-control", WIDGET_CACHE_CONTROL);
    reply.header("etag", bundle.etag);
    if (request.headers["if-none-match"]?.split(/\s*,\s*/).includes(bundle.etag)) return reply.code(304).send();
    return reply.type("text/javascript; charset=utf-8").send(bundle.body);
  });
}
