import { randomFillSync, randomInt } from "node:crypto";
import { monotonicFactory, ulid } from "ulidx";

/**
 * Opaque, globally unique ids: a type prefix and a ULID ("evt_01JD…"). The prefix lets
 * `node(id:)` find the table without a lookup; the ULID sorts by creation time.
 */
export const idPrefixes = {
  event: "evt",
  session: "ses",
  venue: "ven",
  organisation: "org",
  registration: "reg",
  criterion: "crt",
  payment: "pay",
  emailDelivery: "eml",
  apiKey: "key",
  subscription: "sub",
  certificate: "cer",
  webhookEndpoint: "whe",
  webhookDelivery: "whd",
  webhookMessage: "msg",
} as const;

export type IdKind = keyof typeof idPrefixes;

/*
 * ulidx, left to itself, looks up a random source and asks the OS for one byte for each of
 * a ULID's 16 random characters: a register's profile showed it among the top entries.
 * The same CSPRNG, drawn from a pooled buffer, costs a fraction.
 */
const randomPool = Buffer.alloc(4096);
let randomPoolOffset = randomPool.length;

function pooledRandom(): number {
  if (randomPoolOffset === randomPool.length) {
    randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  return randomPool[randomPoolOffset++]! / 256;
}

export function newId(kind: IdKind): string {
  return `${idPrefixes[kind]}_${ulid(undefined, pooledRandom)}`;
}

const monotonicUlid = monotonicFactory(pooledRandom);

/**
 * An id that sorts after every id this process made before it with this function, even
 * within one millisecond (the random part counts up instead). For rows whose order of
 * insertion matters and that have nothing else to keep it by on every dialect (SQLite's
 * rowid is not PostgreSQL's): the webhook outbox sends an endpoint's messages in the order
 * they were queued. Consecutive ids give away each other, so never for one that must not
 * be guessed.
 */
export function newSequentialId(kind: IdKind): string {
  return `${idPrefixes[kind]}_${monotonicUlid()}`;
}

const kindByPrefix = new Map<string, IdKind>(Object.entries(idPrefixes).map(([kind, prefix]): [string, IdKind] => [prefix, kind as IdKind]));

/** The kind an id claims to be, or null for anything that is not one of ours. */
export function idKind(id: string): IdKind | null {
  const match = /^([a-z]{3})_[0-9A-HJKMNP-TV-Z]{26}$/.exec(id);
  return match ? (kindByPrefix.get(match[1]!) ?? null) : null;
}

/** Crockford-like alphabet without 0/O, 1/I/L and U: safe to read out on the phone. */
const referenceAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A short human reference such as "MBT-7K3P9Q"; the prefix comes from the event. */
export function newReference(prefix: string): string {
  let code = "";
  for (let i = 0; i < 6; i++) code += referenceAlphabet[randomInt(referenceAlphabet.length)];
  return `${prefix}-${code}`;
}

/** "mbt-basic-training-oct-2023" → "MBT"; at most four letters, never empty. */
export function referencePrefixFor(slug: string): string {
  const letters = slug.split("-")[0]!.replace(/[^a-z]/gi, "").toUpperCase().slice(0, 4);
  return letters || "REG";
}

/**
 * A check-in code such as "7K3P9QXM2HTR": random (about 59 bits, so codes cannot be guessed
 * from one another), carrying no personal data; scanned from the QR code at the door.
 */
export function newCheckInCode(): string {
  let code = "";
  for (let i = 0; i < 12; i++) code += referenceAlphabet[randomInt(referenceAlphabet.length)];
  return code;
}

/**
 * A certificate number such as "CE-2023-7K3P9-QXM2H-TRB4C": the year of issue and fifteen
 * random characters in groups of five (about 73 bits), so that numbers cannot be found by
 * trying them on the public verification page. Numbers issued before were
 * "CE-2023-7K3P9QXM" (eight characters) and still verify: a number is looked up as it is.
 */
export function newCertificateNumber(year: number): string {
  const groups: string[] = [];
  for (let group = 0; group < 3; group++) {
    let code = "";
    for (let i = 0; i < 5; i++) code += referenceAlphabet[randomInt(referenceAlphabet.length)];
    groups.push(code);
  }
  return `CE-${year}-${groups.join("-")}`;
}
