import type { JobName, JobPayload } from './catalog';
import { jobCatalog } from './catalog';
import type { Queues } from './queues';

interface Schedule<N extends JobName> {
  /** The scheduler's id in Redis: upserting the same id again replaces it, so every worker may register it. */
  id: string;
  name: N;
  payload: JobPayload<N>;
  /** Cron pattern (seconds field first), UTC. */
  pattern: string;
}

/**
 * Jobs that repeat on their own. Each run is an ordinary catalog job (payload validated, a job record written
 * when it starts); the jobs are idempotent, so a schedule firing twice or two workers registering it costs nothing.
 */
export const SCHEDULES = [
  // Hourly, so a month is closed within an hour of its end even if a run fails or no worker was up at midnight.
  { id: 'invoices-close-month', name: 'invoices.close-month', payload: {}, pattern: '0 7 * * * *' },
  { id: 'subscriptions-end-trials', name: 'subscriptions.end-trials', payload: {}, pattern: '0 */5 * * * *' },
  { id: 'monitoring-evaluate', name: 'monitoring.evaluate', payload: {}, pattern: '30 */5 * * * *' },
  { id: 'webhooks-digest', name: 'webhooks.digest', payload: {}, pattern: '0 17 * * * *' },
  // Boxes offline during a rollout get the promoted release within a minute of answering again.
  { id: 'fleet-catch-up', name: 'fleet.catch-up', payload: {}, pattern: '30 * * * * *' },
] as const satisfies ReadonlyArray<Schedule<JobName>>;

/** Registers every schedule (BullMQ job schedulers, upserted by id: idempotent across workers and restarts). */
export async function registerSchedules(queues: Queues): Promise<void> {
  for (const schedule of SCHEDULES) {
    const definition = jobCatalog[schedule.name];
    await queues[definition.queue].upsertJobScheduler(
      schedule.id,
      { pattern: schedule.pattern, tz: 'UTC' },
      {
        name: schedule.name,
        data: definition.payload.parse(schedule.payload),
        opts: {
          attempts: definition.attempts,
          backoff: { type: definition.backoff.type, delay: definition.backoff.delayMs },
          removeOnComplete: { age: 24 * 3600, count: 1_000 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      },
    );
  }
}
