import { and, asc, count, eq, exists, gt, gte, inArray, lt, ne, or, sql, type SQL } from "drizzle-orm";
import { decodeCursor, pageSize, toConnection, type Connection } from "../../common/connection.js";
import { badUserInput, DomainError } from "../../common/errors.js";
import { newId } from "../../common/ids.js";
import { isKnownCurrency } from "../../common/money.js";
import { localToInstant } from "../../common/time.js";
import { characterCount, InputChecker, limits, slugPattern } from "../../common/validate.js";
import type { Db, Reads, Tx } from "../../db/database.js";
import { likeIgnoringCase } from "../../db/dialect.js";
import { preparedPerDatabase } from "../../db/prepared.js";
import {
  eligibilityAnswers,
  eligibilityCriteria,
  eventPartners,
  events,
  learningObjectives,
  organisations,
  prerequisiteCourses,
  registrations,
  sessions,
  venues,
} from "../../db/tables.js";
import type { Deps } from "../../deps.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { refuseChangesToAttendedSessions } from "../attendance/attended-sessions.js";
import { fillPaymentUrl, PAYMENT_REFERENCE_PLACEHOLDER } from "../registrations/payment-link.js";
import { sessionsLeavingCalendars, type RemovedSession } from "../../mail/removed-sessions.js";
import { subjectFor } from "../../mail/subjects.js";
import { keptRegistrationCount } from "../registrations/registration-counts.js";
import { recordChange } from "../registrations/registration-timeline.js";
import { promoteFromWaitlist } from "../registrations/registrations.service.js";
import { enqueueWebhooks } from "../webhooks/webhook-messages.js";
import { activeStatuses, seatHoldingStatuses, type EventRow } from "./event-rules.js";
import type { EventFilter, EventInput, EventPartnerInput } from "./events.inputs.js";

const visibleToPublic = ["PUBLISHED", "CANCELLED", "COMPLETED"] as const;

export interface ListEventsOptions {
  filter?: EventFilter | null;
  first?: number | null;
  after?: string | null;
  includeDrafts: boolean;
}

/**
 * The catalogue's plain listings (no filter: what partner sites and apps page through),
 * prepared once: public or with drafts, first page or after a cursor.
 */
const plainListings = preparedPerDatabase((db) => {
  const afterKey = or(
    gt(events.startsAt, sql.placeholder("afterStartsAt")),
    and(eq(events.startsAt, sql.placeholder("afterStartsAt")), gt(events.id, sql.placeholder("afterId"))),
  );
  const listing = (includeDrafts: boolean) => {
    const visible = includeDrafts ? undefined : inArray(events.status, [...visibleToPublic]);
    const page = (after: boolean) =>
      db
        .select()
        .from(events)
        .where(and(visible, after ? afterKey : undefined))
        .orderBy(asc(events.startsAt), asc(events.id))
        .limit(sql.placeholder("limit"))
        .prepare();
    return { firstPage: page(false), pageAfter: page(true), total: db.select({ n: count() }).from(events).where(visible).prepare() };
  };
  return { public: listing(false), withDrafts: listing(true) };
});

function isPlain(filter: EventFilter): boolean {
  return !filter.status?.length && !filter.startsAfter && !filter.startsBefore && !filter.organisationSlug && !filter.search?.trim();
}

/** Events in start order, keyset-paginated on (startsAt, id). */
export async function listEvents(db: Db, options: ListEventsOptions): Promise<Connection<EventRow>> {
  const size = pageSize(options.first);
  const after = decodeCursor("events", options.after);
  const filter = options.filter ?? {};
  if (isPlain(filter)) {
    const listing = options.includeDrafts ? plainListings(db).withDrafts : plainListings(db).public;
    // A placeholder is bound as given: the column encodes the cursor's instant as its dialect stores it.
    const afterStartsAt = after ? events.startsAt.mapToDriverValue(new Date(after[0])) : null;
    const rows = after ? await listing.pageAfter.all({ afterStartsAt, afterId: after[1], limit: size + 1 }) : await listing.firstPage.all({ limit: size + 1 });
    return toConnection("events", rows, size, after, (row) => [row.startsAt.getTime(), row.id], async () => (await listing.total.get())!.n);
  }
  const conditions: SQL[] = [];
  const allowed = options.includeDrafts ? null : new Set<string>(visibleToPublic);
  const statuses = filter.status?.length ? filter.status.filter((status) => !allowed || allowed.has(status)) : allowed ? [...allowed] : null;
  if (statuses) conditions.push(inArray(events.status, statuses as EventRow["status"][]));
  if (filter.startsAfter) conditions.push(gte(events.startsAt, filter.startsAfter));
  if (filter.startsBefore) conditions.push(lt(events.startsAt, filter.startsBefore));
  if (filter.organisationSlug) {
    conditions.push(
      exists(
        db
          .select({ one: sql`1` })
          .from(eventPartners)
          .innerJoin(organisations, eq(organisations.id, eventPartners.organisationId))
          .where(and(eq(eventPartners.eventId, events.id), eq(organisations.slug, filter.organisationSlug))),
      ),
    );
  }
  const search = filter.search?.trim();
  if (search) {
    // A query has no userErrors: bad filter input is a GraphQL BAD_USER_INPUT error, not a masked DomainError.
    if (characterCount(search) > limits.shortText) throw badUserInput(`filter.search must be at most ${limits.shortText} characters`);
    const pattern = `%${search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    // Case-insensitive on both dialects (PostgreSQL's LIKE is not).
    conditions.push(or(likeIgnoringCase(events.title, pattern), likeIgnoringCase(events.summary, pattern), likeIgnoringCase(events.audience, pattern))!);
  }
  const where = and(...conditions);
  const afterKey = after ? or(gt(events.startsAt, new Date(after[0])), and(eq(events.startsAt, new Date(after[0])), gt(events.id, after[1]))) : undefined;
  const rows = await db
    .select()
    .from(events)
    .where(and(where, afterKey))
    .orderBy(asc(events.startsAt), asc(events.id))
    .limit(size + 1)
    .all();
  return toConnection("events", rows, size, after, (row) => [row.startsAt.getTime(), row.id], async () => (await db.select({ n: count() }).from(events).where(where).get())!.n);
}

const eventsBySlug = preparedPerDatabase((db) => db.select().from(events).where(eq(events.slug, sql.placeholder("slug"))).prepare());

export async function findEventBySlug(db: Db, slug: string): Promise<EventRow | undefined> {
  return await eventsBySlug(db).get({ slug });
}

interface CheckedSession {
  title: string;
  kind: "LIVE" | "SELF_GUIDED";
  startsAt: Date;
  endsAt: Date;
  venueId: string | null;
}

/** Validates an EventInput completely, reporting every problem at once. */
async function checkEventInput(db: Reads, input: EventInput, existing: EventRow | null) {
  const check = new InputChecker();
  const at = (...path: (string | number)[]) => ["input", ...path.map(String)];
  const slug = check.requiredText(at("slug"), input.slug, limits.slug);
  if (slug && !slugPattern.test(slug)) check.add("INVALID", "slug may contain only lower-case letters, digits and single hyphens.", at("slug"));
  if (slug) {
    const taken = await db
      .select({ id: events.id })
      .from(events)
      .where(existing ? and(eq(events.slug, slug), ne(events.id, existing.id)) : eq(events.slug, slug))
      .get();
    if (taken) check.add("INVALID", `The slug "${slug}" is taken by another event.`, at("slug"));
  }
  const venueIds = new Set([input.venueId, ...(input.sessions ?? []).map((session) => session.venueId)].filter((id): id is string => !!id));
  const knownVenues = new Set(venueIds.size ? (await db.select({ id: venues.id }).from(venues).where(inArray(venues.id, [...venueIds])).all()).map((row) => row.id) : []);
  if (input.venueId && !knownVenues.has(input.venueId)) check.add("NOT_FOUND", "No venue has this id.", at("venueId"));

  const priceMinor = check.integer(at("priceMinor"), input.priceMinor, { min: 0, max: 100_000_000 });
  const currency = check.text(at("currency"), input.currency, 3)?.toUpperCase() ?? null;
  if (currency && currency.length <= 3 && !isKnownCurrency(currency)) check.add("INVALID", `"${input.currency}" is not an ISO 4217 currency code.`, at("currency"));
  if (priceMinor !== null && priceMinor > 0 && !currency) check.add("REQUIRED", "A price needs a currency.", at("currency"));

  const opensAt = input.registrationOpensAt ?? null;
  const closesAt = input.registrationClosesAt ?? null;
  if (opensAt && closesAt && closesAt <= opensAt) check.add("INVALID", "registrationClosesAt must be after registrationOpensAt.", at("registrationClosesAt"));

  const sessionInputs = input.sessions ?? [];
  if (sessionInputs.length === 0) check.add("REQUIRED", "An event needs at least one session.", at("sessions"));
  if (sessionInputs.length > limits.listItems) check.add("INVALID", `At most ${limits.listItems} sessions.`, at("sessions"));
  const checkedSessions: CheckedSession[] = [];
  sessionInputs.forEach((session, index) => {
    const title = check.requiredText(at("sessions", index, "title"), session.title, limits.title);
    if (session.venueId && !knownVenues.has(session.venueId)) check.add("NOT_FOUND", "No venue has this id.", at("sessions", index, "venueId"));
    let startsAt: Date | null = null;
    let endsAt: Date | null = null;
    try {
      startsAt = localToInstant(session.localStart, input.timeZone);
    } catch (error) {
      check.add("INVALID", (error as Error).message, at("sessions", index, "localStart"));
    }
    try {
      endsAt = localToInstant(session.localEnd, input.timeZone);
    } catch (error) {
      check.add("INVALID", (error as Error).message, at("sessions", index, "localEnd"));
    }
    if (startsAt && endsAt && endsAt <= startsAt) check.add("INVALID", "A session must end after it starts.", at("sessions", index, "localEnd"));
    if (startsAt && endsAt) checkedSessions.push({ title, kind: session.kind ?? "LIVE", startsAt, endsAt, venueId: session.venueId ?? null });
  });
  checkedSessions.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());

  const objectives = (input.learningObjectives ?? []).map((text, index) => check.requiredText(at("learningObjectives", index), text, limits.summary));
  if (objectives.length > limits.listItems) check.add("INVALID", `At most ${limits.listItems} learning objectives.`, at("learningObjectives"));
  const criteria = (input.eligibilityCriteria ?? []).map((criterion, index) => ({
    text: check.requiredText(at("eligibilityCriteria", index, "text"), criterion.text, limits.summary),
    required: criterion.required ?? true,
  }));
  if (criteria.length > 50) check.add("INVALID", "At most 50 eligibility criteria.", at("eligibilityCriteria"));
  const prerequisite = input.prerequisite
    ? {
        title: check.requiredText(at("prerequisite", "title"), input.prerequisite.title, limits.shortText),
        description: check.multilineText(at("prerequisite", "description"), input.prerequisite.description, limits.longText),
        durationHours: check.number(at("prerequisite", "durationHours"), input.prerequisite.durationHours, { min: 0, max: 10_000 }),
        url: input.prerequisite.url ?? null,
        accessLeadDays: check.integer(at("prerequisite", "accessLeadDays"), input.prerequisite.accessLeadDays, { min: 0, max: 365 }),
      }
    : null;

  const values = {
    slug,
    title: check.requiredText(at("title"), input.title, limits.title),
    summary: check.multilineText(at("summary"), input.summary, limits.summary),
    description: check.multilineText(at("description"), input.description, limits.description),
    audience: check.multilineText(at("audience"), input.audience, limits.longText),
    format: input.format,
    timeZone: input.timeZone,
    venueId: input.venueId ?? null,
    liveHours: check.number(at("liveHours"), input.liveHours, { min: 0, max: 10_000 }),
    selfGuidedHours: check.number(at("selfGuidedHours"), input.selfGuidedHours, { min: 0, max: 10_000 }),
    programmeLength: check.text(at("programmeLength"), input.programmeLength, limits.name),
    capacity: check.integer(at("capacity"), input.capacity, { min: 1, max: 1_000_000 }),
    waitlistEnabled: input.waitlistEnabled ?? true,
    requiresReview: input.requiresReview ?? true,
    priceMinor: priceMinor && priceMinor > 0 ? priceMinor : null,
    currency: priceMinor && priceMinor > 0 ? currency : null,
    registrationOpensAt: opensAt,
    registrationClosesAt: closesAt,
    bookingUrl: input.bookingUrl ?? null,
    contactName: check.text(at("contactName"), input.contactName, limits.name),
    contactEmail: input.contactEmail ?? null,
    contactPhone: check.phone(at("contactPhone"), input.contactPhone),
    offerWindowHours: check.integer(at("offerWindowHours"), input.offerWindowHours, { min: 1, max: 24 * 60 }) ?? existing?.offerWindowHours ?? 72,
    ...checkCredit(check, input, existing),
    attendanceGraceMinutes: check.integer(at("attendanceGraceMinutes"), input.attendanceGraceMinutes, { min: 0, max: 600 }) ?? existing?.attendanceGraceMinutes ?? 10,
    evaluationRequired: input.evaluationRequired ?? existing?.evaluationRequired ?? true,
    paymentUrlTemplate: checkPaymentUrlTemplate(check, at("paymentUrlTemplate"), input.paymentUrlTemplate),
    paymentInstructions: check.multilineText(at("paymentInstructions"), input.paymentInstructions, limits.longText),
    startsAt: checkedSessions[0]?.startsAt ?? new Date(0),
    endsAt: new Date(Math.max(0, ...checkedSessions.map((session) => session.endsAt.getTime()))),
  };
  // Only a capacity that is itself valid is compared with the seats held (one error per mistake).
  // The caller runs this inside its transaction after locking the event (lockEvent), so no
  // registration can slip in between.
  if (existing && values.capacity !== null && Number.isInteger(values.capacity) && values.capacity >= 1) {
    const held = await countSeatsHeld(db, existing.id);
    if (values.capacity < held) check.add("INVALID", `${held} seats are already held; capacity cannot be lower.`, at("capacity"));
  }
  check.throwIfAny();
  return { values, sessions: checkedSessions, objectives, criteria, prerequisite };
}

/** The credit designation's columns: left out keeps the existing one, null removes it. */
function checkCredit(check: InputChecker, input: EventInput, existing: EventRow | null) {
  if (input.credit === undefined && existing) {
    return { creditName: existing.creditName, creditMax: existing.creditMax, creditIncrement: existing.creditIncrement, creditStatement: existing.creditStatement };
  }
  const credit = input.credit;
  if (!credit) return { creditName: null, creditMax: null, creditIncrement: null, creditStatement: null };
  const at = (field: string) => ["input", "credit", field];
  const creditMax = check.number(at("maxCredits"), credit.maxCredits, { min: 0.01, max: 1_000 });
  const creditIncrement = check.number(at("increment"), credit.increment ?? 0.25, { min: 0.01, max: 1_000 });
  if (creditMax !== null && creditIncrement !== null && creditIncrement > creditMax) check.add("INVALID", "increment cannot be larger than maxCredits.", at("increment"));
  return {
    creditName: check.requiredText(at("name"), credit.name, limits.name),
    creditMax,
    creditIncrement,
    creditStatement: check.multilineText(at("statement"), credit.statement, limits.longText),
  };
}

/**
 * A booking partner's payment page: an http(s) URL once the registration's reference
 * replaces `{reference}` (which it must contain, or every registrant would land on the
 * same page with nothing to tell their payment apart).
 */
function checkPaymentUrlTemplate(check: InputChecker, field: string[], raw: string | null | undefined): string | null {
  const template = check.text(field, raw, 2_000);
  if (template === null || template === "") return null;
  if (!template.includes(PAYMENT_REFERENCE_PLACEHOLDER)) {
    check.add("INVALID", "paymentUrlTemplate must contain the {reference} placeholder, e.g. https://partner.example/pay?ref={reference}.", field);
    return null;
  }
  let url: URL | null = null;
  try {
    url = new URL(fillPaymentUrl(template, "MBT-7K3P9Q"));
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    check.add("INVALID", "paymentUrlTemplate must be an absolute http(s) URL.", field);
    return null;
  }
  return template;
}

/** Seats held by the event's registrations, from the kept counts: no registration is read. */
export function countSeatsHeld(db: Reads, eventId: string): Promise<number> {
  return keptRegistrationCount(db, { eventId, statuses: seatHoldingStatuses });
}

type CheckedEvent = Awaited<ReturnType<typeof checkEventInput>>;

async function writeChildren(tx: Tx, eventId: string, checked: CheckedEvent): Promise<void> {
  await tx.delete(learningObjectives).where(eq(learningObjectives.eventId, eventId)).run();
  if (checked.objectives.length) {
    await tx.insert(learningObjectives).values(checked.objectives.map((text, index) => ({ eventId, position: index + 1, text }))).run();
  }
  await tx.delete(prerequisiteCourses).where(eq(prerequisiteCourses.eventId, eventId)).run();
  if (checked.prerequisite) await tx.insert(prerequisiteCourses).values({ eventId, ...checked.prerequisite }).run();
}

export function createEvent({ db, clock }: Deps, input: EventInput): Promise<EventRow> {
  return db.transaction(async (tx) => {
    // Checked in the transaction that inserts: on PostgreSQL the slug's unique index still
    // refuses a twin committed meanwhile; on SQLite the write lock keeps others out.
    const checked = await checkEventInput(tx, input, null);
    const now = clock.now();
    const id = newId("event");
    const row = (await tx.insert(events).values({ id, ...checked.values, status: "DRAFT", createdAt: now, updatedAt: now }).returning().get())!;
    await writeChildren(tx, id, checked);
    if (checked.sessions.length) {
      await tx.insert(sessions).values(checked.sessions.map((session, index) => ({ id: newId("session"), eventId: id, position: index + 1, ...session }))).run();
    }
    if (checked.criteria.length) {
      await tx.insert(eligibilityCriteria).values(checked.criteria.map((criterion, index) => ({ id: newId("criterion"), eventId: id, position: index + 1, ...criterion }))).run();
    }
    return row;
  });
}

/**
 * Replaces an event's details. Sessions and criteria are matched by position so their ids
 * (and the eligibility answers that point at criteria) survive an edit; a session with
 * attendance keeps its times and kind and cannot be removed (attended-sessions.ts). When a session
 * moves or the venue changes, the schedule version rises and every active registrant is
 * mailed EVENT_CHANGED.
 */
export function updateEvent(deps: Deps, id: string, input: EventInput): Promise<EventRow> {
  const { db, clock } = deps;
  // The event is locked first: its status, the seats held (which the new capacity must not
  // go below) and the criteria answered are those of the moment of the write.
  return db.transaction(async (tx) => {
    const existing = await db.lockEvent(tx, id);
    if (!existing) throw new DomainError("NOT_FOUND", "No event has this id.", ["id"]);
    if (existing.status === "CANCELLED" || existing.status === "COMPLETED") {
      throw new DomainError("INVALID_STATE", `A ${existing.status.toLowerCase()} event cannot be edited.`, ["id"]);
    }
    const checked = await checkEventInput(tx, input, existing);
    const now = clock.now();
    const oldSessions = await tx.select().from(sessions).where(eq(sessions.eventId, id)).orderBy(asc(sessions.position)).all();
    await refuseChangesToAttendedSessions(tx, oldSessions, checked.sessions);
    const scheduleChanged =
      existing.venueId !== checked.values.venueId ||
      oldSessions.length !== checked.sessions.length ||
      oldSessions.some((old, index) => {
        const next = checked.sessions[index]!;
        return old.startsAt.getTime() !== next.startsAt.getTime() || old.endsAt.getTime() !== next.endsAt.getTime() || old.venueId !== next.venueId || old.kind !== next.kind;
      });
    for (const [index, session] of checked.sessions.entries()) {
      const old = oldSessions[index];
      if (old) await tx.update(sessions).set({ ...session, position: index + 1 }).where(eq(sessions.id, old.id)).run();
      else await tx.insert(sessions).values({ id: newId("session"), eventId: id, position: index + 1, ...session }).run();
    }
    const removedSessions = oldSessions.slice(checked.sessions.length).map((session) => session.id);
    // (None of them has attendance: refuseChangesToAttendedSessions has checked.)
    if (removedSessions.length) await tx.delete(sessions).where(inArray(sessions.id, removedSessions)).run();

    const oldCriteria = await tx.select().from(eligibilityCriteria).where(eq(eligibilityCriteria.eventId, id)).orderBy(asc(eligibilityCriteria.position)).all();
    for (const [index, criterion] of checked.criteria.entries()) {
      const old = oldCriteria[index];
      if (old) await tx.update(eligibilityCriteria).set(criterion).where(eq(eligibilityCriteria.id, old.id)).run();
      else await tx.insert(eligibilityCriteria).values({ id: newId("criterion"), eventId: id, position: index + 1, ...criterion }).run();
    }
    const removedCriteria = oldCriteria.slice(checked.criteria.length).map((criterion) => criterion.id);
    if (removedCriteria.length) {
      const answered = (await tx.select({ n: count() }).from(eligibilityAnswers).where(inArray(eligibilityAnswers.criterionId, removedCriteria)).get())!.n;
      if (answered > 0) {
        throw new DomainError("INVALID_STATE", "Applicants have answered the criteria you removed; edit their text instead.", ["input", "eligibilityCriteria"]);
      }
      await tx.delete(eligibilityCriteria).where(inArray(eligibilityCriteria.id, removedCriteria)).run();
    }
    await writeChildren(tx, id, checked);
    const scheduleVersion = existing.scheduleVersion + (scheduleChanged ? 1 : 0);
    const row = (await tx.update(events).set({ ...checked.values, scheduleVersion, updatedAt: now }).where(eq(events.id, id)).returning().get())!;
    if (scheduleChanged && existing.status === "PUBLISHED") {
      await notifyActiveRegistrants(tx, clock.now(), row, `v${scheduleVersion}`, false, sessionsLeavingCalendars(oldSessions, checked.sessions));
    }
    await enqueueWebhooks(tx, now, "EVENT_UPDATED", { event: row });
    // Seats added (a higher or no capacity) go to the waitlist first, in this transaction,
    // before any newcomer can take them.
    await promoteFromWaitlist(tx, deps, row, now);
    return row;
  });
}

/**
 * The payload keeps what the email needs once the rows have changed: the sessions that left
 * the course (to cancel them in calendars) and whether the registrant held a seat at the
 * time (someone on the waitlist gets no calendar entries).
 */
async function notifyActiveRegistrants(tx: Tx, now: Date, event: EventRow, occasion: string, cancelled: boolean, removedSessions: RemovedSession[] = []): Promise<void> {
  const active = await tx
    .select({ id: registrations.id, email: registrations.email, reference: registrations.reference, status: registrations.status })
    .from(registrations)
    .where(and(eq(registrations.eventId, event.id), inArray(registrations.status, [...activeStatuses])))
    .all();
  for (const registration of active) {
    await enqueueEmail(tx, { now: () => now }, {
      kind: "EVENT_CHANGED",
      to: registration.email,
      subject: subjectFor("EVENT_CHANGED", { eventTitle: event.title, reference: registration.reference, cancelled }),
      dedupeKey: `${registration.id}:EVENT_CHANGED:${occasion}`,
      registrationId: registration.id,
      payload: {
        cancelled,
        reason: event.cancelReason,
        scheduleVersion: event.scheduleVersion,
        withCalendar: (seatHoldingStatuses as readonly string[]).includes(registration.status),
        ...(removedSessions.length ? { removedSessions } : {}),
      },
    });
  }
}

export function publishEvent({ db, clock }: Deps, id: string): Promise<EventRow> {
  // The event is locked first: one cancelled by another process stays cancelled.
  return db.transaction(async (tx) => {
    const existing = await db.lockEvent(tx, id);
    if (!existing) throw new DomainError("NOT_FOUND", "No event has this id.", ["id"]);
    if (existing.status !== "DRAFT") throw new DomainError("INVALID_STATE", `Only a draft can be published; this event is ${existing.status}.`, ["id"]);
    const now = clock.now();
    const published = (await tx.update(events).set({ status: "PUBLISHED", publishedAt: now, updatedAt: now }).where(eq(events.id, id)).returning().get())!;
    await enqueueWebhooks(tx, now, "EVENT_UPDATED", { event: published });
    return published;
  });
}

/**
 * Cancels the event: registration closes, every active registration is cancelled with
 * its access revoked, and each registrant is mailed once.
 */
export async function cancelEvent({ db, clock }: Deps, id: string, reason: string | null | undefined, actor: string): Promise<EventRow> {
  const check = new InputChecker();
  const cleanReason = check.multilineText(["reason"], reason, limits.note);
  check.throwIfAny();
  // The event is locked before its status and the registrations to cancel are read: every
  // registration committed by another transaction (which locked it too) is cancelled, and
  // told, with the rest, and none can be taken after.
  return db.transaction(async (tx) => {
    const existing = await db.lockEvent(tx, id);
    if (!existing) throw new DomainError("NOT_FOUND", "No event has this id.", ["id"]);
    if (existing.status !== "DRAFT" && existing.status !== "PUBLISHED") {
      throw new DomainError("INVALID_STATE", `A ${existing.status.toLowerCase()} event cannot be cancelled.`, ["id"]);
    }
    const now = clock.now();
    const row = (await tx.update(events).set({ status: "CANCELLED", cancelReason: cleanReason, cancelledAt: now, updatedAt: now }).where(eq(events.id, id)).returning().get())!;
    await notifyActiveRegistrants(tx, now, row, "cancelled", true);
    const active = await tx
      .select({ id: registrations.id, status: registrations.status, accessGrantedAt: registrations.accessGrantedAt })
      .from(registrations)
      .where(and(eq(registrations.eventId, id), inArray(registrations.status, [...activeStatuses])))
      .all();
    await enqueueWebhooks(tx, now, "EVENT_CANCELLED", { event: row });
    for (const registration of active) {
      const cancelled = (await tx
        .update(registrations)
        .set({
          status: "CANCELLED",
          cancelledAt: now,
          cancelReason: cleanReason ? `Event cancelled: ${cleanReason}` : "Event cancelled",
          accessRevokedAt: registration.accessGrantedAt ? now : null,
          accessScheduledFor: null,
          offerExpiresAt: null,
          updatedAt: now,
        })
        .where(eq(registrations.id, registration.id))
        .returning()
        .get())!;
      await recordChange(tx, { registrationId: registration.id, at: now, actor, action: "EVENT_CANCELLED", fromStatus: registration.status, toStatus: "CANCELLED", note: cleanReason });
      await enqueueWebhooks(tx, now, "REGISTRATION_CANCELLED", { registration: cancelled, event: row });
    }
    return row;
  });
}

/** Partners change neither seats nor the event's state: the event's row is read, not locked. */
export function setEventPartners({ db }: Deps, eventId: string, partners: EventPartnerInput[]): Promise<EventRow> {
  return db.transaction(async (tx) => {
    const event = await tx.select().from(events).where(eq(events.id, eventId)).get();
    if (!event) throw new DomainError("NOT_FOUND", "No event has this id.", ["eventId"]);
    const check = new InputChecker();
    if (partners.length > 50) check.add("INVALID", "At most 50 partners.", ["partners"]);
    const ids = partners.map((partner) => partner.organisationId);
    const known = new Set(ids.length ? (await tx.select({ id: organisations.id }).from(organisations).where(inArray(organisations.id, ids)).all()).map((row) => row.id) : []);
    const seen = new Set<string>();
    partners.forEach((partner, index) => {
      if (!known.has(partner.organisationId)) check.add("NOT_FOUND", "No organisation has this id.", ["partners", String(index), "organisationId"]);
      if (seen.has(partner.organisationId)) check.add("INVALID", "Each organisation may appear once; give it several roles instead.", ["partners", String(index), "organisationId"]);
      seen.add(partner.organisationId);
      if (partner.roles.length === 0) check.add("REQUIRED", "A partner needs at least one role.", ["partners", String(index), "roles"]);
    });
    check.throwIfAny();
    await tx.delete(eventPartners).where(eq(eventPartners.eventId, eventId)).run();
    if (partners.length) {
      await tx
        .insert(eventPartners)
        .values(partners.map((partner, index) => ({ eventId, organisationId: partner.organisationId, position: index + 1, roles: [...new Set(partner.roles)], bookingUrl: partner.bookingUrl ?? null })))
        .run();
    }
    return event;
  });
}
