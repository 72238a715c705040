import type { Deps } from "../deps.js";
import { grantDueAccess, lapseExpiredOffers, purgeExpiredIdempotencyKeys } from "../modules/registrations/registrations.service.js";
import { purgeExpiredRegistrantTokens } from "../modules/registrant-session/registrant-session.service.js";
import { purgeOldWebhookDeliveries } from "../modules/webhooks/webhooks.service.js";
import { enqueuePrerequisiteReminders } from "./reminders.js";

/**
 * The time-driven work, run by the worker on every step before it delivers mail, so an
 * email a job queues goes out in the same step. Every job reads "now" from deps.clock and
 * is idempotent: running it twice, or in every process at once, changes nothing the second
 * time (each write is conditional on the state it changes, and queued emails carry dedupe
 * keys). Each job answers how many things it did.
 */
export const scheduledJobs = {
  /** Prerequisite access whose opening time has come: GRANTED, and ACCESS_GRANTED queued. */
  accessGrants: grantDueAccess,
  /** Waitlist offers not taken up in time pass to the next in line. */
  lapsedOffers: lapseExpiredOffers,
  /** PREREQUISITE_REMINDER at the configured days before the start. */
  prerequisiteReminders: enqueuePrerequisiteReminders,
  idempotencyKeysPurged: purgeExpiredIdempotencyKeys,
  /** Sign-in links, sessions and manage links that no longer open anything. */
  registrantTokensPurged: purgeExpiredRegistrantTokens,
  /** The webhook delivery log keeps 30 days. */
  webhookDeliveriesPurged: purgeOldWebhookDeliveries,
} satisfies Record<string, ScheduledJob>;

export type ScheduledJob = (deps: Deps) => Promise<number>;

export type ScheduledJobName = keyof typeof scheduledJobs;
