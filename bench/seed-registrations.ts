/*
 * S5's data: registrations written straight into the SQLite file (the server stopped),
 * many times faster than `register` could. One transaction, one prepared statement. The
 * rows satisfy the schema's constraints: unique ids, references, manage_token_hash and
 * active emails per event. Seeding is incremental: the n-th row is always the same, so
 * growing a file from 1k to 100k adds rows 1,000 to 99,999.
 *
 * Run alone: tsx bench/seed-registrations.ts path/to/events.db event-slug 100000
 */
import Database from "better-sqlite3";

/** How the seeded registrations are spread over the statuses, out of 20. */
const statusCycle = [
  ...Array<string>(12).fill("CONFIRMED"),
  ...Array<string>(2).fill("AWAITING_PAYMENT"),
  ...Array<string>(2).fill("PENDING_REVIEW"),
  ...Array<string>(2).fill("WAITLISTED"),
  "CANCELLED",
  "REJECTED",
];

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const referenceAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ";

function encode(value: number, alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    out = alphabet[value % alphabet.length]! + out;
    value = Math.floor(value / alphabet.length);
  }
  return out;
}

/**
 * A ULID-shaped id (time part from createdAt, the rest from n): valid for the server's
 * id parser, unique without calling a random generator a million times.
 */
function registrationId(createdAt: number, n: number): string {
  return `reg_${encode(createdAt, crockford, 10)}BENCH${encode(n, crockford, 11)}`;
}

export interface SeedResult {
  eventId: string;
  inserted: number;
  /** Registrations of the event after seeding (seeded and others). */
  total: number;
  seconds: number;
}

/**
 * Brings the event's seeded registrations up to `target` (rows 0 … target-1). Raises the
 * event's capacity so the seeded seats fit: a course this size would have the room.
 */
export function seedRegistrations(databasePath: string, slug: string, target: number): SeedResult {
  const started = performance.now();
  const db = new Database(databasePath, { fileMustExist: true });
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    db.pragma("cache_size = -262144"); // 256 MB: building the indexes of a million rows stays in memory
    db.pragma("temp_store = MEMORY"); // each insert fires the counts trigger: its statement journal stays in memory, as in the server
    const event = db.prepare("SELECT id, price_minor AS priceMinor, currency, capacity FROM events WHERE slug = ?").get(slug) as
      | { id: string; priceMinor: number | null; currency: string | null; capacity: number | null }
      | undefined;
    if (!event) throw new Error(`no event has the slug ${slug}`);
    const already = (db.prepare("SELECT COUNT(*) AS n FROM registrations WHERE event_id = ? AND id LIKE 'reg\\_%BENCH%' ESCAPE '\\'").get(event.id) as { n: number }).n;
    const insert = db.prepare(`INSERT INTO registrations
      (id, event_id, reference, status, first_name, last_name, email, email_normalized, profession,
       manage_token_hash, amount_due_minor, currency, waitlisted_at, cancelled_at, cancel_reason, created_at, updated_at)
      VALUES (?, ?, ?, ?, 'Bench', ?, ?, ?, 'PSYCHIATRIST', ?, ?, ?, ?, ?, ?, ?, ?)`);
    const base = Date.UTC(2026, 0, 1);
    const fill = db.transaction(() => {
      for (let n = already; n < target; n++) {
        const status = statusCycle[n % statusCycle.length]!;
        const createdAt = base + n * 1000;
        const email = `bench.s5.${n}@clinic.example`;
        insert.run(
          registrationId(createdAt, n),
          event.id,
          // Seven characters where real references have six: never equal to one the server makes.
          `S5-${encode(n, referenceAlphabet, 7)}`,
          status,
          `Seeded${n}`,
          email,
          email,
          // 64 hex digits like a SHA-256; the "b5e4c4" prefix and counter keep it unique.
          `b5e4c4${n.toString(16).padStart(58, "0")}`,
          event.priceMinor ?? 0,
          event.currency,
          status === "WAITLISTED" ? createdAt : null,
          status === "CANCELLED" ? createdAt + 60_000 : null,
          status === "CANCELLED" ? "bench" : null,
          createdAt,
          createdAt,
        );
      }
      const held = (db.prepare("SELECT COUNT(*) AS n FROM registrations WHERE event_id = ? AND status IN ('PENDING_REVIEW', 'AWAITING_PAYMENT', 'CONFIRMED')").get(event.id) as { n: number }).n;
      if (event.capacity !== null && event.capacity < held + 30) db.prepare("UPDATE events SET capacity = ? WHERE id = ?").run(held + 30, event.id);
    });
    fill.immediate();
    db.pragma("wal_checkpoint(TRUNCATE)");
    const total = (db.prepare("SELECT COUNT(*) AS n FROM registrations WHERE event_id = ?").get(event.id) as { n: number }).n;
    return { eventId: event.id, inserted: Math.max(0, target - already), total, seconds: (performance.now() - started) / 1000 };
  } finally {
    db.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, slug, count] = process.argv.slice(2);
  if (!path || !slug || !count) {
    console.error("usage: tsx bench/seed-registrations.ts path/to/events.db event-slug COUNT");
    process.exit(1);
  }
  const result = seedRegistrations(path, slug, Number(count));
  console.log(`${result.inserted} registrations added in ${result.seconds.toFixed(1)} s; the event has ${result.total}`);
}
