import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/*
 * A real HTTP receiver on 127.0.0.1 for the crash tests of webhook delivery: besides
 * answering 200 (after an optional delay), it can hold a request open without ever
 * answering, as a stalled receiver does, so that a worker is caught mid-send. It keeps
 * every request and which of them it answered, in order.
 */

export interface ReceivedHit {
  webhookId: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as a receiver verifies the bytes it got. */
  body: string;
  receivedAt: number;
  /** Set once the 200 has been written out to the sender. */
  answeredAt: number | null;
}

/** What the receiver does with the next request: hold it open, or answer 200 after delayMs. */
export type ReceiverPolicy = { hold: true } | { hold: false; delayMs: number };

export interface HoldingWebhookReceiver {
  /** http://127.0.0.1:PORT/hooks */
  readonly url: string;
  readonly hits: ReceivedHit[];
  /** Requests held open and not answered (yet). */
  readonly held: ReceivedHit[];
  /** Decides, per request as its body ends, whether it is held or answered. */
  policy: (hit: ReceivedHit, index: number) => ReceiverPolicy;
  /** Answers every request held so far with 200 (those whose sender is gone are dropped). */
  releaseHeld(): void;
  close(): Promise<void>;
}

export async function startHoldingWebhookReceiver(): Promise<HoldingWebhookReceiver> {
  const hits: ReceivedHit[] = [];
  const held: { hit: ReceivedHit; response: ServerResponse }[] = [];
  const answer = (hit: ReceivedHit, response: ServerResponse) => {
    if (response.destroyed || response.socket?.destroyed) return;
    response.on("finish", () => (hit.answeredAt = Date.now()));
    response.writeHead(200, { "content-type": "text/plain" });
    response.end("ok");
  };
  const receiver: HoldingWebhookReceiver = {
    url: "",
    hits,
    get held() {
      return held.map((entry) => entry.hit);
    },
    policy: () => ({ hold: false, delayMs: 0 }),
    releaseHeld() {
      for (const { hit, response } of held.splice(0)) answer(hit, response);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const hit: ReceivedHit = { webhookId: String(request.headers["webhook-id"] ?? ""), headers: request.headers, body: Buffer.concat(chunks).toString("utf8"), receivedAt: Date.now(), answeredAt: null };
      const index = hits.push(hit) - 1;
      const decision = receiver.policy(hit, index);
      if (decision.hold) held.push({ hit, response });
      else if (decision.delayMs > 0) setTimeout(() => answer(hit, response), decision.delayMs);
      else answer(hit, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, { url: `http://127.0.0.1:${port}/hooks` });
}
