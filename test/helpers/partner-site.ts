import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/*
 * A partner's website on a second local origin, for the widget's browser tests. `/` is
 * a page whose only Content-Security-Policy is the one the README tells partners to
 * set; `/plain` is the same page without any (for checks that inject test tooling).
 * The page's own markup carries no script or style of its own.
 */

export interface PartnerSite {
  origin: string;
  /** Set once the key exists: it is bound to `origin`, known only once the site listens. */
  publishableKey: string;
  /** The embedding page for `event` (slug or id); `strict: false` serves it without a CSP. */
  pageUrl(event: string, options?: { strict?: boolean }): string;
  close(): Promise<void>;
}

export function widgetCsp(backendOrigin: string): string {
  return `script-src ${backendOrigin}; connect-src ${backendOrigin}; style-src ${backendOrigin}`;
}

export async function startPartnerSite(options: { backendOrigin: string; fallbackHref?: string; themeCss?: string }): Promise<PartnerSite> {
  const { backendOrigin } = options;
  const fallbackHref = options.fallbackHref ?? "https://partner.example/book";
  const page = (event: string, head: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Partner site: book a course</title>
<script type="module" src="${backendOrigin}/widget/v1/registration.js"></script>
${head}
</head>
<body>
<header><h1>Mentalizing courses</h1></header>
<main>
<event-registration event="${event}" publishable-key="${site.publishableKey}"><a href="${fallbackHref}">Register on our booking page</a></event-registration>
</main>
</body>
</html>`;

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://partner.invalid");
    const event = url.searchParams.get("event") ?? "";
    if (url.pathname === "/") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-security-policy": widgetCsp(backendOrigin) });
      return response.end(page(event, ""));
    }
    if (url.pathname === "/plain") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return response.end(page(event, options.themeCss ? `<style>${options.themeCss}</style>` : ""));
    }
    response.writeHead(204);
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const site: PartnerSite = {
    origin,
    publishableKey: "",
    pageUrl: (event, opts = {}) => `${origin}/${opts.strict === false ? "plain" : ""}?event=${encodeURIComponent(event)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A browser still open keeps its connections alive; they would hold close() forever.
        server.closeAllConnections();
      }),
  };
  return site;
}
