/*
 * Baseline (b): the ceiling. A bare node:http server that answers each benchmark request
 * with the bytes the real server sent for it (captured by bench/run.ts), so the
 * difference to this target is what GraphQL, the framework and the database cost.
 *
 * Run: RAW_RESPONSES=responses.json PORT=… node --import tsx bench/targets/raw-http.ts
 * (responses.json: [{ key, contentType, body }], the key from scenarios.ts requestKey()).
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { requestKey } from "../scenarios.js";

interface Captured {
  key: string;
  contentType: string;
  body: string;
}

const captured = JSON.parse(readFileSync(process.env.RAW_RESPONSES!, "utf8")) as Captured[];
const replies = new Map(captured.map((entry) => [entry.key, { contentType: entry.contentType, body: Buffer.from(entry.body) }]));

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const body = chunks.length ? Buffer.concat(chunks).toString() : undefined;
    const reply = replies.get(requestKey({ method: request.method!, path: request.url!, body }));
    if (!reply) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not captured");
      return;
    }
    response.writeHead(200, { "content-type": reply.contentType, "content-length": reply.body.length }).end(reply.body);
  });
});

server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log(`raw node:http ceiling ready on port ${process.env.PORT}`));
