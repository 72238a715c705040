import { DateTime } from "luxon";
import type { Deps } from "../deps.js";
import type { Db, Reads, Tx } from "../db/database.js";
import { events } from "../db/tables.js";
import { EventFormat, PartnerRole, SessionKind } from "../common/enums.js";
import { createEvent, publishEvent, setEventPartners } from "../modules/events/events.service.js";
import type { EventInput } from "../modules/events/events.inputs.js";
import { createOrganisation } from "../modules/organisations/organisations.service.js";
import { createVenue } from "../modules/venues/venues.service.js";
import { eq } from "drizzle-orm";
import {
  mbt2023Sessions,
  mbtAudience,
  mbtBookingUrl,
  mbtContact,
  mbtCredit,
  mbtDescription,
  mbtEligibilityCriteria,
  mbtLearningObjectives,
  mbtOrganisations,
  mbtPrerequisite,
  mbtSummary,
  mbtTimeZone,
  uclaFacultyCenter,
} from "./mbt-course.js";

/**
 * The three live days of the next run: a Wednesday to Friday about four months after
 * `now`, so the demo always has a course open for registration whose prerequisite
 * access opens in the future.
 */
export function upcomingRunDays(now: Date): string[] {
  let start = DateTime.fromJSDate(now, { zone: mbtTimeZone }).plus({ days: 120 }).startOf("day");
  while (start.weekday !== 3) start = start.plus({ days: 1 });
  return [0, 1, 2].map((offset) => start.plus({ days: offset }).toISODate()!);
}

/** The course page's run: the seed's first event, whose unique slug refuses a second seed's twin. */
const PAST_RUN_SLUG = "mbt-basic-training-2023-10";

/**
 * Loads the course page's course (and an upcoming run of it) into an empty database, in
 * one transaction: a failed seed leaves nothing behind. Processes that start together on a
 * new database may all try. On SQLite the write lock runs their seeds one after another,
 * and the later ones find the database no longer empty. On PostgreSQL they may all find it
 * empty; the unique index on events.slug then holds the second one's insert of the same
 * slug until the first commits and refuses it. Its whole seed rolls back, and it answers
 * "not seeded" once it sees the first one's event.
 */
export async function seedDemo(deps: Deps): Promise<{ seeded: boolean }> {
  if (await seededAlready(deps.db)) return { seeded: false };
  try {
    return await deps.db.transaction(async (tx) => {
      if (await seededAlready(tx)) return { seeded: false };
      await seed({ ...deps, db: withinTransaction(deps.db, tx) }, tx);
      return { seeded: true };
    });
  } catch (error) {
    if (await seededAlready(deps.db)) return { seeded: false };
    throw error;
  }
}

/** Any event at all: the demo only goes into an empty database. */
async function seededAlready(db: Reads): Promise<boolean> {
  return !!(await db.select({ id: events.id }).from(events).limit(1).get());
}

/**
 * A Db whose transactions are `tx`: the services the seed calls (createEvent, publishEvent…)
 * each run in a transaction of their own on `deps.db`, and through this they all run in the
 * seed's one transaction instead, reading and writing with `tx` only.
 */
function withinTransaction(db: Db, tx: Tx): Db {
  const fromTx = <K extends keyof Reads>(name: K): Reads[K] => ((...args: unknown[]) => (tx[name] as (...a: unknown[]) => unknown).apply(tx, args)) as Reads[K];
  return {
    dialect: db.dialect,
    select: fromTx("select"),
    selectDistinct: fromTx("selectDistinct"),
    $with: fromTx("$with"),
    $count: fromTx("$count"),
    transaction: (body) => body(tx),
    savepoint: (inner, body) => db.savepoint(inner, body),
    lockEvent: (inner, eventId) => db.lockEvent(inner, eventId),
    claimRows: (query) => db.claimRows(query),
    rows: (query, inner) => db.rows(query, inner ?? tx),
    get commits() {
      return db.commits;
    },
    onForeignCommit: (listener) => db.onForeignCommit(listener),
    close: () => Promise.reject(new Error("The seed's database handle is not to be closed.")),
  };
}

async function seed(deps: Deps, tx: Tx): Promise<void> {
  const venue = await createVenue(deps, uclaFacultyCenter);
  const orgs = {} as Record<keyof typeof mbtOrganisations, { id: string }>;
  // One after another: a transaction runs one statement at a time.
  for (const key of Object.keys(mbtOrganisations) as (keyof typeof mbtOrganisations)[]) orgs[key] = await createOrganisation(deps, mbtOrganisations[key]);
  const partners = [
    { organisationId: orgs.annaFreud.id, roles: [PartnerRole.HOST] },
    { organisationId: orgs.mila.id, roles: [PartnerRole.DELIVERY_PARTNER, PartnerRole.BOOKING_PARTNER], bookingUrl: mbtBookingUrl },
    { organisationId: orgs.lifespan.id, roles: [PartnerRole.SPONSOR] },
    { organisationId: orgs.tmi.id, roles: [PartnerRole.SPONSOR] },
  ];
  const base: Omit<EventInput, "slug" | "sessions"> = {
    title: "MBT Basic Training",
    summary: mbtSummary,
    description: mbtDescription,
    audience: mbtAudience,
    format: EventFormat.IN_PERSON,
    timeZone: mbtTimeZone,
    venueId: venue.id,
    liveHours: 18,
    selfGuidedHours: 21,
    programmeLength: "1 month programme",
    waitlistEnabled: true,
    requiresReview: true,
    bookingUrl: mbtBookingUrl,
    ...mbtContact,
    learningObjectives: mbtLearningObjectives,
    eligibilityCriteria: mbtEligibilityCriteria,
    prerequisite: mbtPrerequisite,
    credit: mbtCredit,
    attendanceGraceMinutes: 10,
    evaluationRequired: true,
  };

  // The run on the course page: 4–6 October 2023, long finished.
  const past = await createEvent(deps, { ...base, slug: PAST_RUN_SLUG, sessions: mbt2023Sessions });
  await setEventPartners(deps, past.id, partners);
  await publishEvent(deps, past.id);
  await tx.update(events).set({ status: "COMPLETED" }).where(eq(events.id, past.id)).run();

  // The next run, open for registration now. Price and capacity are illustrative: the page gives neither.
  // Always after the course page's run, so its slug and dates never collide with it, whatever the clock says.
  const days = upcomingRunDays(new Date(Math.max(deps.clock.now().getTime(), past.endsAt.getTime())));
  const next = await createEvent(deps, {
    ...base,
    slug: `mbt-basic-training-${days[0]!.slice(0, 7)}`,
    capacity: 30,
    priceMinor: 125_000,
    currency: "USD",
    sessions: days.map((day, index) => ({ title: `Day ${index + 1}: live, instructor-led training`, kind: SessionKind.LIVE, localStart: `${day}T08:30`, localEnd: `${day}T16:30` })),
  });
  await setEventPartners(deps, next.id, partners);
  await publishEvent(deps, next.id);
}
