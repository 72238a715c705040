/*
 * Baseline (a): what one would hand-build in an afternoon. A bare Apollo Server 5
 * (standalone, node:http) over the same SQLite file, with SDL written for just the types
 * the benchmark's queries touch, and naive resolvers: every field a straightforward SQL
 * query of its own (N+1 included), no DataLoader, no caching beyond Apollo's defaults.
 * Statements are prepared once, as better-sqlite3's documentation shows.
 *
 * Run: DATABASE_PATH=… PORT=… node --import tsx bench/targets/naive-apollo.ts
 */
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import Database from "better-sqlite3";
import { DateTimeResolver } from "graphql-scalars";
import { DateTime } from "luxon";

const typeDefs = /* GraphQL */ `
  scalar DateTime
  scalar Date
  scalar LocalDateTime
  scalar TimeZone
  scalar URL

  enum EventFormat { HYBRID IN_PERSON ONLINE }
  enum EventStatus { CANCELLED COMPLETED DRAFT PUBLISHED }
  enum SessionKind { LIVE SELF_GUIDED }
  enum PartnerRole { BOOKING_PARTNER DELIVERY_PARTNER HOST SPONSOR }

  type Query {
    event(id: ID, slug: String): Event
    events(first: Int = 20, after: String): EventConnection!
  }

  type EventConnection { edges: [EventEdge!]! pageInfo: PageInfo! totalCount: Int! }
  type EventEdge { cursor: String! node: Event! }
  type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }

  type Event {
    id: ID!
    slug: String!
    title: String!
    summary: String
    description: String
    audience: String
    format: EventFormat!
    status: EventStatus!
    timeZone: TimeZone!
    startsAt: DateTime!
    endsAt: DateTime!
    startDate: Date!
    endDate: Date!
    liveHours: Float
    selfGuidedHours: Float
    programmeLength: String
    capacity: Int
    seatsRemaining: Int
    registrationOpen: Boolean!
    requiresReview: Boolean!
    waitlistEnabled: Boolean!
    price: Money
    sessions: [Session!]!
    venue: Venue
    partners: [EventPartner!]!
    learningObjectives: [LearningObjective!]!
    eligibilityCriteria: [EligibilityCriterion!]!
    prerequisite: PrerequisiteCourse
  }

  type Money { amountMinor: Int! currency: String! formatted: String! }

  type Session {
    id: ID!
    title: String!
    kind: SessionKind!
    startsAt: DateTime!
    endsAt: DateTime!
    localStart: LocalDateTime!
    localEnd: LocalDateTime!
    timeZoneAbbreviation: String!
    utcOffset: String!
    durationMinutes: Int!
  }

  type Venue {
    id: ID!
    name: String!
    timeZone: TimeZone!
    latitude: Float
    longitude: Float
    mapUrl: URL
    address: Address!
    accessibility: Accessibility!
  }
  type Address { line1: String! line2: String city: String! region: String postalCode: String country: String! }
  type Accessibility {
    adaCompliant: Boolean!
    wheelchairAccessible: Boolean
    stepFreeEntrance: Boolean
    accessibleRestrooms: Boolean
    accessibleParking: Boolean
    hearingLoop: Boolean
    notes: String
    infoUrl: URL
  }

  type EventPartner { organisation: Organisation! roles: [PartnerRole!]! bookingUrl: URL }
  type Organisation { id: ID! slug: String! name: String! website: URL }
  type LearningObjective { position: Int! text: String! }
  type EligibilityCriterion { id: ID! position: Int! text: String! required: Boolean! }
  type PrerequisiteCourse {
    title: String!
    description: String
    durationHours: Float
    url: URL
    accessLeadDays: Int
    accessOpensAt: DateTime!
    completeBy: DateTime!
  }
`;

type Row = Record<string, any>;

const db = new Database(required("DATABASE_PATH"), { fileMustExist: true });
db.pragma("journal_mode = WAL");
db.pragma("busy_timeout = 5000");

// Anonymous callers see every event but drafts.
const visible = "status IN ('PUBLISHED', 'CANCELLED', 'COMPLETED')";
const sql = {
  eventBySlug: db.prepare(`SELECT * FROM events WHERE slug = ? AND ${visible}`),
  eventById: db.prepare(`SELECT * FROM events WHERE id = ? AND ${visible}`),
  eventPage: db.prepare(`SELECT * FROM events WHERE ${visible} ORDER BY starts_at, id LIMIT ?`),
  eventCount: db.prepare(`SELECT COUNT(*) AS n FROM events WHERE ${visible}`),
  seatsHeld: db.prepare("SELECT COUNT(*) AS n FROM registrations WHERE event_id = ? AND status IN ('PENDING_REVIEW', 'AWAITING_PAYMENT', 'CONFIRMED')"),
  sessions: db.prepare("SELECT * FROM sessions WHERE event_id = ? ORDER BY position"),
  venue: db.prepare("SELECT * FROM venues WHERE id = ?"),
  partners: db.prepare("SELECT * FROM event_partners WHERE event_id = ? ORDER BY position"),
  organisation: db.prepare("SELECT * FROM organisations WHERE id = ?"),
  objectives: db.prepare("SELECT * FROM learning_objectives WHERE event_id = ? ORDER BY position"),
  criteria: db.prepare("SELECT * FROM eligibility_criteria WHERE event_id = ? ORDER BY position"),
  prerequisite: db.prepare("SELECT * FROM prerequisite_courses WHERE event_id = ?"),
};

const instant = (ms: number) => new Date(ms);
const flag = (value: number | null) => (value === null ? null : value === 1);
const inZone = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone });
const local = (ms: number, zone: string) => {
  const dt = inZone(ms, zone);
  return dt.toFormat(dt.second === 0 ? "yyyy-MM-dd'T'HH:mm" : "yyyy-MM-dd'T'HH:mm:ss");
};
/** American English first, then other English locales that name zones Intl leaves as GMT+…. */
const abbreviation = (ms: number, zone: string) => {
  let fallback: string | null = null;
  for (const locale of ["en-US", "en-GB", "en-AU", "en-IN", "en-IE"]) {
    const name = inZone(ms, zone).setLocale(locale).toFormat("ZZZZ");
    if (!/^GMT[+-]/.test(name)) return name;
    fallback ??= name;
  }
  return fallback!;
};
const money = (minor: number, currency: string) => {
  const format = new Intl.NumberFormat("en-US", { style: "currency", currency });
  return format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
};

// Date, LocalDateTime, TimeZone and URL are strings here: graphql-js passes them through.
const resolvers = {
  DateTime: DateTimeResolver,
  Query: {
    event: (_: unknown, args: { id?: string; slug?: string }) => (args.slug ? sql.eventBySlug.get(args.slug) : sql.eventById.get(args.id)) ?? null,
    events: (_: unknown, args: { first: number }) => {
      const rows = sql.eventPage.all(args.first + 1) as Row[];
      const page = rows.slice(0, args.first);
      return {
        edges: page.map((row) => ({ cursor: Buffer.from(row.id).toString("base64url"), node: row })),
        pageInfo: { hasNextPage: rows.length > args.first, hasPreviousPage: false, startCursor: null, endCursor: null },
        totalCount: (sql.eventCount.get() as Row).n,
      };
    },
  },
  Event: {
    timeZone: (e: Row) => e.time_zone,
    startsAt: (e: Row) => instant(e.starts_at),
    endsAt: (e: Row) => instant(e.ends_at),
    startDate: (e: Row) => inZone(e.starts_at, e.time_zone).toISODate(),
    endDate: (e: Row) => inZone(e.ends_at, e.time_zone).toISODate(),
    liveHours: (e: Row) => e.live_hours,
    selfGuidedHours: (e: Row) => e.self_guided_hours,
    programmeLength: (e: Row) => e.programme_length,
    seatsRemaining: (e: Row) => (e.capacity === null ? null : Math.max(0, e.capacity - (sql.seatsHeld.get(e.id) as Row).n)),
    registrationOpen: (e: Row) => {
      const now = Date.now();
      if (e.status !== "PUBLISHED") return false;
      if (e.registration_opens_at !== null && now < e.registration_opens_at) return false;
      if (e.registration_closes_at !== null && now >= e.registration_closes_at) return false;
      return now < e.starts_at;
    },
    requiresReview: (e: Row) => e.requires_review === 1,
    waitlistEnabled: (e: Row) => e.waitlist_enabled === 1,
    price: (e: Row) => (e.price_minor && e.currency ? { amountMinor: e.price_minor, currency: e.currency, formatted: money(e.price_minor, e.currency) } : null),
    sessions: (e: Row) => (sql.sessions.all(e.id) as Row[]).map((s) => ({ ...s, zone: e.time_zone })),
    venue: (e: Row) => (e.venue_id ? (sql.venue.get(e.venue_id) ?? null) : null),
    partners: (e: Row) => sql.partners.all(e.id),
    learningObjectives: (e: Row) => sql.objectives.all(e.id),
    eligibilityCriteria: (e: Row) => sql.criteria.all(e.id),
    prerequisite: (e: Row) => {
      const course = sql.prerequisite.get(e.id) as Row | undefined;
      if (!course) return null;
      const shift = course.access_lead_days === null ? { months: 1 } : { days: course.access_lead_days };
      return { ...course, accessOpensAt: inZone(e.starts_at, e.time_zone).minus(shift).toJSDate(), completeBy: instant(e.starts_at) };
    },
  },
  Session: {
    startsAt: (s: Row) => instant(s.starts_at),
    endsAt: (s: Row) => instant(s.ends_at),
    localStart: (s: Row) => local(s.starts_at, s.zone),
    localEnd: (s: Row) => local(s.ends_at, s.zone),
    timeZoneAbbreviation: (s: Row) => abbreviation(s.starts_at, s.zone),
    utcOffset: (s: Row) => inZone(s.starts_at, s.zone).toFormat("ZZ"),
    durationMinutes: (s: Row) => Math.round((s.ends_at - s.starts_at) / 60_000),
  },
  Venue: {
    timeZone: (v: Row) => v.time_zone,
    mapUrl: (v: Row) => v.map_url,
    address: (v: Row) => ({ line1: v.line1, line2: v.line2, city: v.city, region: v.region, postalCode: v.postal_code, country: v.country }),
    accessibility: (v: Row) => ({
      adaCompliant: v.ada_compliant === 1,
      wheelchairAccessible: flag(v.wheelchair_accessible),
      stepFreeEntrance: flag(v.step_free_entrance),
      accessibleRestrooms: flag(v.accessible_restrooms),
      accessibleParking: flag(v.accessible_parking),
      hearingLoop: flag(v.hearing_loop),
      notes: v.accessibility_notes,
      infoUrl: v.accessibility_info_url,
    }),
  },
  EventPartner: {
    organisation: (p: Row) => sql.organisation.get(p.organisation_id),
    roles: (p: Row) => JSON.parse(p.roles),
    bookingUrl: (p: Row) => p.booking_url,
  },
  EligibilityCriterion: { required: (c: Row) => c.required === 1 },
  PrerequisiteCourse: {
    durationHours: (c: Row) => c.duration_hours,
    accessLeadDays: (c: Row) => c.access_lead_days,
  },
};

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const server = new ApolloServer({ typeDefs, resolvers: resolvers as any });
const { url } = await startStandaloneServer(server, { listen: { port: Number(required("PORT")), host: "127.0.0.1" } });
console.log(`naive Apollo baseline ready at ${url}`);
