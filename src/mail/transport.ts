import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import nodemailer, { type SendMailOptions } from "nodemailer";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { assertOutsideTransaction } from "../db/database.js";

/** The part of a pino (or Fastify) logger the mail code writes to. */
export type MailLog = Pick<Logger, "info" | "warn" | "error">;

/** What the worker needs from a way of sending mail; tests may pass their own. */
export interface MailTransport {
  /** "smtp://host:port" or "files in /path": for logs and the start-up banner. */
  readonly description: string;
  /** Resolves once the message is accepted (by the SMTP server, or written to disk). */
  send(message: SendMailOptions): Promise<SentMail>;
  close(): void;
}

export interface SentMail {
  /** The server's reply ("250 OK: queued as …") or the path of the written file. */
  response: string;
}

/**
 * Generous for a healthy server, short enough that a hung one (accepting the TCP
 * connection and then saying nothing) releases the worker well inside its claim.
 */
export const smtpTimeouts = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
  /** A deadline for one whole message, including a server that answers byte by byte. */
  sendTimeout: 60_000,
} as const;

/** SMTP when SMTP_URL is set; otherwise .eml files under MAIL_DIR, so a newcomer sees every message. */
export function createMailTransport(config: Config, log: MailLog): MailTransport {
  return config.smtpUrl ? createSmtpTransport(config.smtpUrl) : createFileTransport(config.mailDir, log);
}

export function createSmtpTransport(smtpUrl: string, options: { maxConnections?: number; sendTimeoutMs?: number } = {}): MailTransport {
  const url = new URL(smtpUrl);
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    connectionTimeout: smtpTimeouts.connectionTimeout,
    greetingTimeout: smtpTimeouts.greetingTimeout,
    socketTimeout: smtpTimeouts.socketTimeout,
    // The worker retries with backoff itself; the pool should report a dead server, not wait it out.
    maxRequeues: 1,
  });
  const sendTimeoutMs = options.sendTimeoutMs ?? smtpTimeouts.sendTimeout;
  return {
    // Never the credentials: this goes to logs.
    description: `${url.protocol}//${url.hostname}:${url.port || (url.protocol === "smtps:" ? 465 : 587)}`,
    async send(message) {
      // Network I/O: inside a transaction it would hold the writer (SQLite) or a pooled connection.
      assertOutsideTransaction("sending an email");
      const info = await transporter.sendMail({ ...message, signal: AbortSignal.timeout(sendTimeoutMs) });
      return { response: String(info.response ?? "") };
    },
    close() {
      transporter.close();
    },
  };
}

/**
 * The embedded default: nodemailer builds the exact message it would send over SMTP and
 * it is written as an .eml file that any mail client opens. Named by Message-ID so a
 * retried delivery overwrites its own file instead of adding a duplicate.
 */
export function createFileTransport(mailDir: string, log: MailLog): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    description: `.eml files in ${mailDir}`,
    async send(message) {
      assertOutsideTransaction("sending an email");
      const info = await transporter.sendMail(message);
      const name = fileNameFor(String(message.messageId ?? info.messageId));
      const path = join(mailDir, name);
      await mkdir(mailDir, { recursive: true });
      await writeFile(path, info.message as Buffer);
      log.info({ path, to: message.to, subject: message.subject }, "email written to file (no SMTP_URL set)");
      return { response: `written to ${path}` };
    },
    close() {
      transporter.close();
    },
  };
}

/** "<eml_01H…@event-registration>" → "eml_01H…@event-registration.eml", safe on every file system. */
function fileNameFor(messageId: string): string {
  return `${messageId.replace(/^<|>$/g, "").replace(/[^A-Za-z0-9._@-]/g, "_")}.eml`;
}
