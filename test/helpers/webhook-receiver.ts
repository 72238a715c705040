import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { vi } from "vitest";
import { Webhook } from "standardwebhooks";

/*
 * A real HTTP receiver on 127.0.0.1 for webhook tests: it keeps every request (headers and
 * the raw body, as a receiver must verify the bytes it got) and answers with the status the
 * test chooses.
 */

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  path: string;
}

export interface WebhookReceiver {
  /** http://127.0.0.1:PORT/hooks */
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** The status (and extra headers) every later request is answered with (default 200). */
  answer(status: number, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(path = "/hooks"): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let status = 200;
  let extraHeaders: Record<string, string> = {};
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8"), path: request.url ?? "" });
      response.writeHead(status, { "content-type": "text/plain", ...extraHeaders });
      response.end(status >= 200 && status < 300 ? "ok" : `status ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    answer(next, headers = {}) {
      status = next;
      extraHeaders = headers;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Verifies a delivery with the standardwebhooks library, as a partner's receiver would.
 * The library checks the timestamp against its own clock (within 5 minutes), so it is run
 * at `at`: the instant of the server's test clock when the delivery was sent.
 */
export function verifyWebhook(secret: string, delivery: ReceivedWebhook, at: Date): any {
  vi.useFakeTimers({ toFake: ["Date"], now: at });
  try {
    return new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>);
  } finally {
    vi.useRealTimers();
  }
}
