import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Tx } from "../../db/database.js";
import { preparedPerDatabase } from "../../db/prepared.js";
import { eligibilityAnswers, eligibilityCriteria, emailDeliveries, registrationChanges, registrationCounts, registrations } from "../../db/tables.js";
import { seatHoldingStatuses } from "../events/event-rules.js";
import { total } from "./registration-counts.js";

/*
 * The statements of `register`'s transaction, built and prepared once per transaction
 * handle. A profile of 50 clients registering showed drizzle building the SQL and SQLite
 * preparing it again for every statement as most of the transaction's time; a prepared
 * query only binds its values. A statement is prepared on the handle it runs on, the
 * transaction's: on SQLite that is the one writer connection's handle, the same object
 * for every transaction, so they are built once per database; on PostgreSQL it is the
 * pooled connection's handle, so once per connection (unnamed statements, planned per
 * run anyway). The event's row is not among them: register reads it with db.lockEvent,
 * which on PostgreSQL also locks it.
 *
 * No `.limit(1)`: `.get()` stops at the first row anyway, and drizzle binds the limit as
 * a parameter, which made SQLite's duplicate check 14 µs instead of 6 (measured).
 */

const placeholder = sql.placeholder;
const activeStatuses = ["PENDING_REVIEW", "AWAITING_PAYMENT", "CONFIRMED", "WAITLISTED"] as const;

/** The placeholders of a registration's insert, all but waitlistedAt. */
function registrationValues() {
  return {
    id: placeholder("id"),
    eventId: placeholder("eventId"),
    reference: placeholder("reference"),
    status: placeholder("status"),
    firstName: placeholder("firstName"),
    lastName: placeholder("lastName"),
    email: placeholder("email"),
    emailNormalized: placeholder("emailNormalized"),
    phone: placeholder("phone"),
    profession: placeholder("profession"),
    professionOther: placeholder("professionOther"),
    employer: placeholder("employer"),
    jobTitle: placeholder("jobTitle"),
    accessibilityNeeds: placeholder("accessibilityNeeds"),
    sourceOrganisationId: placeholder("sourceOrganisationId"),
    sourceApiKeyId: placeholder("sourceApiKeyId"),
    manageTokenHash: placeholder("manageTokenHash"),
    amountDueMinor: placeholder("amountDueMinor"),
    currency: placeholder("currency"),
    createdAt: placeholder("createdAt"),
    updatedAt: placeholder("updatedAt"),
  };
}

function prepareRegisterStatements(db: Tx) {
  return {
    /** The kept counts (registration-counts.ts) of the statuses that hold a seat: the seat check. */
    seatsHeld: db
      .select({ n: total })
      .from(registrationCounts)
      .where(and(eq(registrationCounts.eventId, placeholder("eventId")), inArray(registrationCounts.status, [...seatHoldingStatuses])))
      .prepare(),
    criteriaOfEvent: db.select().from(eligibilityCriteria).where(eq(eligibilityCriteria.eventId, placeholder("eventId"))).orderBy(asc(eligibilityCriteria.position)).prepare(),
    activeRegistrationOfEmail: db
      .select({ id: registrations.id })
      .from(registrations)
      .where(and(eq(registrations.eventId, placeholder("eventId")), eq(registrations.emailNormalized, placeholder("emailNormalized")), inArray(registrations.status, [...activeStatuses])))
      .prepare(),
    registrationWithReference: db.select({ id: registrations.id }).from(registrations).where(eq(registrations.reference, placeholder("reference"))).prepare(),
    /** A registration that got a seat (or waits for review or payment): waitlistedAt stays null. */
    insertRegistration: db.insert(registrations).values(registrationValues()).returning().prepare(),
    /**
     * A waitlisted one, with waitlistedAt bound as a Date (each dialect's encoder turns it
     * into its own timestamp). Two statements, because a placeholder that is sometimes null
     * would reach the Date encoder with null.
     */
    insertWaitlistedRegistration: db
      .insert(registrations)
      .values({ ...registrationValues(), waitlistedAt: placeholder("waitlistedAt") })
      .returning()
      .prepare(),
    /** A registration's answers in one insert: on PostgreSQL one round trip, not one per answer (see answerValues). */
    insertAnswers: preparedPerCount((count) =>
      db
        .insert(eligibilityAnswers)
        .values(
          Array.from({ length: count }, (_, row) => ({
            registrationId: placeholder("registrationId"),
            criterionId: placeholder(`criterionId${row}`),
            met: placeholder(`met${row}`),
            details: placeholder(`details${row}`),
          })),
        )
        .prepare(),
    ),
    insertChange: db
      .insert(registrationChanges)
      .values({
        registrationId: placeholder("registrationId"),
        at: placeholder("at"),
        actor: placeholder("actor"),
        action: placeholder("action"),
        fromStatus: placeholder("fromStatus"),
        toStatus: placeholder("toStatus"),
        note: placeholder("note"),
      })
      .prepare(),
    insertEmail: db
      .insert(emailDeliveries)
      .values({
        id: placeholder("id"),
        dedupeKey: placeholder("dedupeKey"),
        registrationId: placeholder("registrationId"),
        kind: placeholder("kind"),
        to: placeholder("to"),
        subject: placeholder("subject"),
        payload: placeholder("payload"),
        status: placeholder("status"),
        attempts: placeholder("attempts"),
        nextAttemptAt: placeholder("nextAttemptAt"),
        messageId: placeholder("messageId"),
        createdAt: placeholder("createdAt"),
      })
      .onConflictDoNothing({ target: emailDeliveries.dedupeKey })
      .prepare(),
  };
}

/** `build(count)` once per count: an event's registrations all answer as many criteria as it has. */
function preparedPerCount<T>(build: (count: number) => T): (count: number) => T {
  const built = new Map<number, T>();
  return (count) => {
    let statement = built.get(count);
    if (!statement) built.set(count, (statement = build(count)));
    return statement;
  };
}

/** The placeholders' values of insertAnswers(answers.length). */
export function answerValues(registrationId: string, answers: readonly { criterionId: string; met: boolean; details: string | null }[]): Record<string, unknown> {
  const values: Record<string, unknown> = { registrationId };
  answers.forEach((answer, row) => {
    values[`criterionId${row}`] = answer.criterionId;
    values[`met${row}`] = answer.met;
    values[`details${row}`] = answer.details;
  });
  return values;
}

export type RegisterStatements = ReturnType<typeof prepareRegisterStatements>;

/** The statements for the transaction `tx`: call it inside the transaction's body. */
export const registerStatements: (tx: Tx) => RegisterStatements = preparedPerDatabase(prepareRegisterStatements);
