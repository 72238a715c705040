import { and, count, eq, exists, ne, or, sql, type SQL } from "drizzle-orm";
import { decodeCursor, pageSize, toConnection, type Connection } from "../../common/connection.js";
import { DomainError } from "../../common/errors.js";
import { newId } from "../../common/ids.js";
import { InputChecker, limits } from "../../common/validate.js";
import type { Db, Reads } from "../../db/database.js";
import { byNameThenId } from "../../db/keyset.js";
import { events, sessions, venues } from "../../db/tables.js";
import type { Deps } from "../../deps.js";
import type { VenueInput } from "./venues.inputs.js";
import type { VenueRow } from "./venues.type.js";

function checkVenue(input: VenueInput) {
  const check = new InputChecker();
  const at = (...path: string[]) => ["input", ...path];
  const values = {
    name: check.requiredText(at("name"), input.name, limits.title),
    line1: check.requiredText(at("address", "line1"), input.address.line1, limits.shortText),
    line2: check.text(at("address", "line2"), input.address.line2, limits.shortText),
    city: check.requiredText(at("address", "city"), input.address.city, limits.name),
    region: check.text(at("address", "region"), input.address.region, limits.name),
    postalCode: check.text(at("address", "postalCode"), input.address.postalCode, 20),
    country: check.requiredText(at("address", "country"), input.address.country, limits.name),
    timeZone: input.timeZone,
    latitude: check.number(at("latitude"), input.latitude, { min: -90, max: 90 }),
    longitude: check.number(at("longitude"), input.longitude, { min: -180, max: 180 }),
    mapUrl: input.mapUrl ?? null,
    adaCompliant: input.accessibility.adaCompliant,
    wheelchairAccessible: input.accessibility.wheelchairAccessible ?? null,
    stepFreeEntrance: input.accessibility.stepFreeEntrance ?? null,
    accessibleRestrooms: input.accessibility.accessibleRestrooms ?? null,
    accessibleParking: input.accessibility.accessibleParking ?? null,
    hearingLoop: input.accessibility.hearingLoop ?? null,
    accessibilityNotes: check.multilineText(at("accessibility", "notes"), input.accessibility.notes, limits.longText),
    accessibilityInfoUrl: input.accessibility.infoUrl ?? null,
  };
  if ((values.latitude === null) !== (values.longitude === null)) {
    check.add("INVALID", "Give both latitude and longitude, or neither.", at(values.latitude === null ? "latitude" : "longitude"));
  }
  check.throwIfAny();
  return values;
}

export async function createVenue({ db, clock }: Deps, input: VenueInput): Promise<VenueRow> {
  const values = checkVenue(input);
  const now = clock.now();
  return db.transaction(async (tx) => (await tx.insert(venues).values({ id: newId("venue"), ...values, createdAt: now, updatedAt: now }).returning().get())!);
}

export async function updateVenue({ db, clock }: Deps, id: string, input: VenueInput): Promise<VenueRow> {
  const values = checkVenue(input);
  const row = await db.transaction((tx) => tx.update(venues).set({ ...values, updatedAt: clock.now() }).where(eq(venues.id, id)).returning().get());
  if (!row) throw new DomainError("NOT_FOUND", "No venue has this id.", ["id"]);
  return row;
}

export interface ListVenuesOptions {
  first?: number | null;
  after?: string | null;
  /** Admins see every venue; others only those of events that are not drafts. */
  includeUnpublished: boolean;
}

/** Venues by name (case-insensitive), keyset-paginated on (lower(name), id). */
export async function listVenues(db: Db, options: ListVenuesOptions): Promise<Connection<VenueRow>> {
  const size = pageSize(options.first);
  const after = decodeCursor("venues", options.after);
  const order = byNameThenId(venues.name, venues.id, after);
  const where = options.includeUnpublished ? undefined : usedByPublicEvent(db);
  const rows = await db.select().from(venues).where(and(where, order.after)).orderBy(...order.orderBy).limit(size + 1).all();
  return toConnection("venues", rows, size, after, (row) => [row.name, row.id], async () => (await db.select({ n: count() }).from(venues).where(where).get())!.n);
}

/** The venue of an event that is not a draft, or of one of its sessions: a draft's venue stays unlisted. */
function usedByPublicEvent(db: Reads): SQL {
  return or(
    exists(db.select({ one: sql`1` }).from(events).where(and(eq(events.venueId, venues.id), ne(events.status, "DRAFT")))),
    exists(
      db
        .select({ one: sql`1` })
        .from(sessions)
        .innerJoin(events, eq(events.id, sessions.eventId))
        .where(and(eq(sessions.venueId, venues.id), ne(events.status, "DRAFT"))),
    ),
  )!;
}
