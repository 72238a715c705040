import type { Deps } from "../deps.js";
import { deliverDueEmails, type DeliveryOptions, type DeliveryRunSummary } from "../mail/deliver.js";
import type { MailLog, MailTransport } from "../mail/transport.js";
import { deliverDueWebhooks, type WebhookDeliveryOptions, type WebhookRunSummary } from "../modules/webhooks/webhook-delivery.js";
import { scheduledJobs, type ScheduledJob, type ScheduledJobName } from "./scheduled-jobs.js";

export interface WorkerStepSummary {
  /** What each scheduled job did (grants made, offers lapsed, reminders queued, keys purged). */
  jobs: Record<ScheduledJobName, number>;
  /** Jobs that threw this step, by name; the others still ran. */
  jobErrors: Partial<Record<ScheduledJobName, string>>;
  delivery: DeliveryRunSummary;
  /** The webhook outbox's step (modules/webhooks/webhook-delivery.ts). */
  webhooks: WebhookRunSummary;
}

export interface Worker {
  /** One step: the scheduled jobs, then the due emails. What tests drive with a manual clock. */
  runOnce(): Promise<WorkerStepSummary>;
  /** Runs a step now and then every `intervalMs` (from the end of the previous one) until stop(). */
  start(): void;
  /** Stops the loop and waits for a step in progress to finish, so no claim is left mid-send. */
  stop(): Promise<void>;
  readonly running: boolean;
}

export interface WorkerOptions {
  transport: MailTransport;
  log: MailLog;
  /** Defaults to config.workerIntervalMs. */
  intervalMs?: number;
  delivery?: Partial<DeliveryOptions>;
  webhooks?: Partial<WebhookDeliveryOptions>;
}

/**
 * The outbox and scheduler worker. It runs inside the API process (WORKER=true) or alone
 * (`npm run worker`); several may run against one database, because claims and jobs are
 * safe to race.
 */
export function createWorker(deps: Deps, options: WorkerOptions): Worker {
  const intervalMs = options.intervalMs ?? deps.config.workerIntervalMs;
  const { log, transport } = options;
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let current: Promise<unknown> | null = null;
  /** Aborted by stop(): the step in progress finishes its sends and hands back the rest. */
  let stopping = new AbortController();

  /** `signal`: the loop's stop signal; a step called directly (tests, tools) runs to the end. */
  async function runOnce(signal?: AbortSignal): Promise<WorkerStepSummary> {
    const jobs = {} as Record<ScheduledJobName, number>;
    const jobErrors: WorkerStepSummary["jobErrors"] = {};
    for (const [name, job] of Object.entries(scheduledJobs) as [ScheduledJobName, ScheduledJob][]) {
      try {
        jobs[name] = await job(deps);
      } catch (error) {
        // One failing job (a locked database, a bad row) must not stop mail or the other jobs.
        jobs[name] = 0;
        jobErrors[name] = error instanceof Error ? error.message : String(error);
        log.error({ err: error, job: name }, "scheduled job failed");
      }
    }
    // Side by side: a slow webhook receiver (up to its 15 s timeout) must not hold up mail.
    const [delivery, webhooks] = await Promise.all([deliverDueEmails(deps, transport, log, options.delivery, signal), deliverDueWebhooks(deps, log, options.webhooks, signal)]);
    return { jobs, jobErrors, delivery, webhooks };
  }

  function scheduleNext(delayMs: number): void {
    if (!running) return;
    timer = setTimeout(() => {
      timer = null;
      const step = runOnce(stopping.signal)
        .catch((error: unknown) => log.error({ err: error }, "worker step failed"))
        .finally(() => {
          current = null;
          scheduleNext(intervalMs);
        });
      current = step;
    }, delayMs);
  }

  return {
    runOnce() {
      // A manual step while the loop runs waits its turn instead of racing it.
      return (current ?? Promise.resolve()).then(() => runOnce());
    },
    start() {
      if (running) return;
      running = true;
      stopping = new AbortController();
      log.info({ intervalMs, transport: transport.description }, "worker started");
      // The first step at once: mail queued while no worker ran goes out on start.
      scheduleNext(0);
    },
    async stop() {
      if (!running) return;
      running = false;
      stopping.abort();
      if (timer) clearTimeout(timer);
      timer = null;
      if (current) await current;
      log.info("worker stopped");
    },
    get running() {
      return running;
    },
  };
}
