import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";

/*
 * What a browser gets at `/`: one static page saying what this server is and where to go.
 * No script at all and one inline style allowed by its hash, so the policy can be as
 * strict as a page can be.
 */
const style = `
  body { font: 1rem/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
  dt { font-weight: 600; margin-top: .75rem; }
  dd { margin: 0; }
  code { font-size: .95em; }
  :focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
`;
const styleHash = createHash("sha256").update(style).digest("base64");

export const landingPageCsp = `default-src 'none'; style-src 'sha256-${styleHash}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Event registration API</title>
<style>${style}</style>
</head>
<body>
<h1>Event registration API</h1>
<main>
<p>This server publishes professional training courses and takes registrations for them, through a GraphQL API.
Partner sites and mobile apps call it; admins run the catalogue and the registrations from its IDE.</p>
<dl>
  <dt><a href="/graphql">/graphql</a></dt>
  <dd>The GraphQL API (<code>POST</code>, JSON). Opened in a browser, the IDE (GraphQL Playground) with example operations. Credentials go in <code>Authorization: Bearer …</code>.</dd>
  <dt><a href="/sign-in">/sign-in</a></dt>
  <dd>For registrants: get a sign-in link by email and see your registrations.</dd>
  <dt><a href="/healthz">/healthz</a></dt>
  <dd>Liveness: answers <code>{"status":"ok"}</code> while the process serves requests.</dd>
  <dt><a href="/readyz">/readyz</a></dt>
  <dd>Readiness: <code>{"status":"ready"}</code> when the database answers, else 503.</dd>
</dl>
</main>
</body>
</html>`;

export function registerLandingPage(app: FastifyInstance): void {
  app.get("/", async (_request, reply) => {
    reply.header("cache-control", "no-cache");
    reply.header("referrer-policy", "no-referrer");
    reply.header("x-content-type-options", "nosniff");
    reply.header("content-security-policy", landingPageCsp);
    return reply.type("text/html; charset=utf-8").send(html);
  });
}
