import { DateTime } from "luxon";
import type { Deps } from "../deps.js";
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

/** Loads the course page's course (and an upcoming run of it) into an empty database. */
export function seedDemo(deps: Deps): { seeded: boolean } {
  if (deps.db.select({ id: events.id }).from(events).limit(1).get()) return { seeded: false };
  const venue = createVenue(deps, uclaFacultyCenter);
  const orgs = Object.fromEntries(Object.entries(mbtOrganisations).map(([key, input]) => [key, createOrganisation(deps, input)])) as unknown as Record<keyof typeof mbtOrganisations, { id: string }>;
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
  const past = createEvent(deps, { ...base, slug: "mbt-basic-training-2023-10", sessions: mbt2023Sessions });
  setEventPartners(deps, past.id, partners);
  publishEvent(deps, past.id);
  deps.db.update(events).set({ status: "COMPLETED" }).where(eq(events.id, past.id)).run();

  // The next run, open for registration now. Price and capacity are illustrative: the page gives neither.
  // Always after the course page's run, so its slug and dates never collide with it, whatever the clock says.
  const days = upcomingRunDays(new Date(Math.max(deps.clock.now().getTime(), past.endsAt.getTime())));
  const next = createEvent(deps, {
    ...base,
    slug: `mbt-basic-training-${days[0]!.slice(0, 7)}`,
    capacity: 30,
    priceMinor: 125_000,
    currency: "USD",
    sessions: days.map((day, index) => ({ title: `Day ${index + 1}: live, instructor-led training`, kind: SessionKind.LIVE, localStart: `${day}T08:30`, localEnd: `${day}T16:30` })),
  });
  setEventPartners(deps, next.id, partners);
  publishEvent(deps, next.id);
  return { seeded: true };
}
