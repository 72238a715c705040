import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { DomainError } from "../../common/errors.js";

/*
 * Where webhooks may be sent. A partner chooses the URL and the server makes the request,
 * so without a policy anyone with a secret key could make the server call its own
 * loopback, the private network or the cloud metadata service (SSRF). The URL must be
 * http(s), and every address its host resolves to must be public: checked when the
 * endpoint is created or changed, and again at each send after resolving, the send then
 * connecting to the very address that was checked (a DNS answer that changes in between,
 * "DNS rebinding", gains nothing). WEBHOOKS_ALLOW_PRIVATE=true lifts the address rule
 * for development and tests.
 */

const refused = new BlockList();
// IPv4: "this network", private, CGNAT, loopback, link-local (metadata 169.254.169.254), IETF protocol, TEST-NETs, benchmarking, multicast and reserved.
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  refused.addSubnet(network, prefix, "ipv4");
}
// IPv6: unspecified and loopback, discard, local-use NAT64, Teredo, documentation, unique-local, link-local, site-local, multicast.
refused.addAddress("::", "ipv6");
refused.addAddress("::1", "ipv6");
for (const [network, prefix] of [
  ["100::", 64],
  // Local-use NAT64 (RFC 8215): translates into whatever IPv4 network the operator chose, so
  // the embedded address says nothing about where it leads.
  ["64:ff9b:1::", 48],
  // Teredo: the client's IPv4 address is obfuscated in it, and no receiver needs it.
  ["2001::", 32],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  refused.addSubnet(network, prefix, "ipv6");
}

/** The eight 16-bit groups of an IPv6 address (no zone id), or null. */
function ipv6Groups(address: string): number[] | null {
  let text = address.toLowerCase();
  // A dotted IPv4 tail ("::ffff:127.0.0.1") is two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const octets = dotted[2]!.split(".").map(Number);
    text = `${dotted[1]}${((octets[0]! << 8) | octets[1]!).toString(16)}:${((octets[2]! << 8) | octets[3]!).toString(16)}`;
  }
  const [head, tail, ...more] = text.split("::");
  if (more.length) return null;
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return null;
  const groups = [...headGroups, ...Array(tail === undefined ? 0 : missing).fill("0"), ...tailGroups].map((group) => Number.parseInt(group, 16));
  return groups.length === 8 && groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : null;
}

const dottedQuad = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");

/**
 * The IPv4 address an IPv6 one carries: IPv4-mapped (::ffff:a.b.c.d), IPv4-translated
 * (::ffff:0:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) or 6to4
 * (2002:AABB:CCDD::/48, the IPv4 address in groups 1 and 2).
 */
function embeddedIpv4(groups: number[]): string | null {
  const zeros = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  const mapped = zeros(0, 5) && groups[5] === 0xffff;
  const translated = zeros(0, 4) && groups[4] === 0xffff && groups[5] === 0;
  const compatible = zeros(0, 6) && (groups[6] !== 0 || groups[7]! > 1);
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6);
  if (groups[0] === 0x2002) return dottedQuad(groups[1]!, groups[2]!);
  if (!mapped && !translated && !compatible && !nat64) return null;
  return dottedQuad(groups[6]!, groups[7]!);
}

/** Whether an IP address is loopback, private, link-local or otherwise not on the public internet. */
export function isNonPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 4) return refused.check(bare, "ipv4");
  if (family !== 6) return true;
  const groups = ipv6Groups(bare);
  if (!groups) return true;
  const ipv4 = embeddedIpv4(groups);
  if (ipv4 !== null) return refused.check(ipv4, "ipv4");
  return refused.check(bare, "ipv6");
}

export class UrlNotAllowedError extends DomainError {
  /**
   * What was found (the address a name resolves to, the resolver's error): for the server's
   * log only. Told to a caller, it would make the server an oracle of the internal DNS for
   * anyone with a secret key.
   */
  readonly detail: string | null;

  constructor(message: string, field: string[] = ["input", "url"], detail: string | null = null) {
    super("URL_NOT_ALLOWED", message, field);
    this.detail = detail;
  }
}

/** Runs `run`; a URL refused for what its name resolves to is logged with the detail the caller is not told. */
export async function logUrlRefusal<T>(log: { info(fields: object, message: string): void }, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UrlNotAllowedError && error.detail) log.info({ detail: error.detail }, "webhook URL refused");
    throw error;
  }
}

/** The URL's scheme and, for an address literal, the address; names are resolved by resolveDestination. */
export function checkWebhookUrlSyntax(raw: string, allowPrivate: boolean, field?: string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlNotAllowedError("The webhook URL is not an absolute URL.", field);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UrlNotAllowedError(`Webhook URLs must use http or https, not ${url.protocol.replace(/:$/, "")}.`, field);
  if (url.username || url.password) throw new UrlNotAllowedError("Webhook URLs may not carry a user name or password; authenticate deliveries by their signature.", field);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!allowPrivate && isIP(host) && isNonPublicAddress(host)) throw new UrlNotAllowedError(`${host} is a loopback, private or link-local address; webhooks go to public addresses only.`, field);
  return url;
}

export interface Destination {
  url: URL;
  /** The checked address the request connects to. */
  address: string;
  family: 4 | 6;
}

/** How a host name becomes addresses; replaceable in tests (a resolver that never answers). */
export type HostLookup = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemLookup: HostLookup = (host) => lookup(host, { all: true, verbatim: true });

export interface ResolveOptions {
  field?: string[];
  /** Abandons the lookup when aborted (the send's deadline). getaddrinfo cannot be cancelled: its answer is ignored. */
  signal?: AbortSignal;
  lookupHost?: HostLookup;
}

/** A deadline passed: the send gave up waiting for the resolver. */
export class DeadlineError extends Error {}

/** Rejects with a DeadlineError when the signal aborts first; the promise is left to settle, its outcome ignored. */
export function beforeDeadline<T>(promise: Promise<T>, signal: AbortSignal | undefined, message: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new DeadlineError(message));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DeadlineError(message));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Resolves the URL's host and checks every address it has: one non-public address is
 * enough to refuse (a name that also points inward is not a partner's public receiver).
 * The refusal does not say which address, nor why a name did not resolve (see
 * UrlNotAllowedError.detail).
 */
export async function resolveDestination(raw: string, allowPrivate: boolean, options: ResolveOptions = {}): Promise<Destination> {
  const { field, signal, lookupHost = systemLookup } = options;
  const url = checkWebhookUrlSyntax(raw, allowPrivate, field);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const literal = isIP(host);
  if (literal) return { url, address: host, family: literal as 4 | 6 };
  let addresses: { address: string; family: number }[];
  const unresolved = `The webhook URL's host ${host} could not be resolved.`;
  try {
    addresses = await beforeDeadline(lookupHost(host), signal, "no answer before the deadline");
  } catch (error) {
    throw new UrlNotAllowedError(unresolved, field, `${host}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error)}`);
  }
  if (addresses.length === 0) throw new UrlNotAllowedError(unresolved, field, `${host}: no address`);
  if (!allowPrivate) {
    const inward = addresses.find((entry) => isNonPublicAddress(entry.address));
    if (inward) throw new UrlNotAllowedError(`The webhook URL's host ${host} does not resolve to a public address; webhooks go to public addresses only.`, field, `${host} resolves to ${inward.address}`);
  }
  return { url, address: addresses[0]!.address, family: addresses[0]!.family as 4 | 6 };
}
