import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

/*
 * A real SMTP server in the test process: nodemailer talks SMTP to it over TCP exactly as
 * it would to a relay, and every accepted message is kept raw and parsed. It can be
 * stopped (connections refused) and started again on the same port, and told to reject
 * recipients permanently, for the fault tests.
 */

export interface ReceivedEmail {
  /** The SMTP envelope: who the server was asked to deliver to, which may differ from the To header. */
  envelope: { from: string; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
  /** "<eml_…@event-registration>" */
  messageId: string;
}

export interface TestSmtpServer {
  /** smtp://127.0.0.1:PORT, for SMTP_URL. */
  readonly url: string;
  readonly port: number;
  /** Everything accepted so far, in arrival order. */
  readonly received: ReceivedEmail[];
  /** Closes the listener and drops open connections: later connections are refused. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Answers RCPT TO for this address with a permanent 5xx until allowed again. */
  rejectRecipient(address: string, code?: number, message?: string): void;
  allowRecipient(address: string): void;
  /** Messages whose envelope recipients include this address (case-insensitive). */
  to(address: string): ReceivedEmail[];
  /** Waits until `count` messages in all have arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const received: ReceivedEmail[] = [];
  const rejected = new Map<string, { code: number; message: string }>();
  let port = 0;
  let server: SMTPServer | null = null;

  function createServer(): SMTPServer {
    return new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      closeTimeout: 50,
      onRcptTo(address, _session, callback) {
        const rejection = rejected.get(address.address.toLowerCase());
        if (!rejection) return callback();
        const error = Object.assign(new Error(rejection.message), { responseCode: rejection.code });
        callback(error);
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          const raw = Buffer.concat(chunks);
          const envelope = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((recipient) => recipient.address),
          };
          simpleParser(raw)
            .then((parsed) => {
              received.push({ envelope, raw, parsed, messageId: parsed.messageId ?? "" });
              callback();
            })
            .catch((error: Error) => callback(error));
        });
      },
    });
  }

  async function start(): Promise<void> {
    if (server) return;
    const next = createServer();
    await new Promise<void>((resolve, reject) => {
      next.server.once("error", reject);
      next.listen(port, "127.0.0.1", () => {
        next.server.off("error", reject);
        resolve();
      });
    });
    const address = next.server.address();
    if (typeof address === "object" && address) port = address.port;
    server = next;
  }

  async function stop(): Promise<void> {
    const current = server;
    if (!current) return;
    server = null;
    await new Promise<void>((resolve) => current.close(() => resolve()));
  }

  await start();

  return {
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    received,
    stop,
    start,
    rejectRecipient(address, code = 550, message = "5.1.1 Mailbox unavailable") {
      rejected.set(address.toLowerCase(), { code, message });
    },
    allowRecipient(address) {
      rejected.delete(address.toLowerCase());
    },
    to(address) {
      const wanted = address.toLowerCase();
      return received.filter((email) => email.envelope.to.some((recipient) => recipient.toLowerCase() === wanted));
    },
    async waitForCount(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} emails, got ${received.length} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: stop,
  };
}
