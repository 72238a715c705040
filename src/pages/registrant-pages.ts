import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";

/*
 * Where the links in emails land by default (MANAGE_URL, SIGN_IN_URL): two small,
 * accessible pages that use the GraphQL API to show a booking, cancel it, ask for early
 * access, and list "my registrations". Partners and apps may point the links elsewhere.
 */
const script = readFileSync(new URL("./registrant-app.js", import.meta.url), "utf8");
/** The page allows exactly this inline script and nothing else. */
const scriptHash = createHash("sha256").update(script).digest("base64");

function page(kind: "manage" | "sign-in" | "newsletter-confirm" | "newsletter-unsubscribe", title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  body { font: 1rem/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
  section { border-top: 1px solid #ccc; padding: 1rem 0; }
  label, textarea, input { display: block; width: 100%; margin: .25rem 0 .75rem; }
  button { font: inherit; padding: .5rem 1rem; margin: .25rem .5rem .25rem 0; }
  :focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
  [role=status] { font-weight: 600; }
</style>
</head>
<body data-page="${kind}">
<h1>${title}</h1>
<p id="status" role="status" aria-live="polite"></p>
<main id="main"><p>Loading…</p></main>
<script>${script}</script>
</body>
</html>`;
}

export function registerRegistrantPages(app: FastifyInstance): void {
  const manage = page("manage", "Your registration");
  const signIn = page("sign-in", "Your registrations");
  const send = (html: string) => async (_request: unknown, reply: { header(name: string, value: string): unknown; type(type: string): { send(body: string): unknown } }) => {
    reply.header("cache-control", "no-store");
    reply.header("referrer-policy", "no-referrer");
    reply.header("content-security-policy", `default-src 'none'; script-src 'sha256-${scriptHash}'; style-src 'unsafe-inline'; img-src blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'`);
    return reply.type("text/html; charset=utf-8").send(html);
  };
  app.get("/manage", send(manage));
  app.get("/sign-in", send(signIn));
  app.get("/newsletter/confirm", send(page("newsletter-confirm", "Newsletter subscription")));
  app.get("/newsletter/unsubscribe", send(page("newsletter-unsubscribe", "Newsletter subscription")));
}
