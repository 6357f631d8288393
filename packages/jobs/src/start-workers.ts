import { runWithRequestId } from '@paddock/platform';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type JobCatalog, type JobName, type JobPayload, isJobName, jobCatalog } from './catalog';
import { QUEUE_NAMES, type QueueName } from './define-job';
import type { JobRecords } from './job-records';
import { runWithTimeout } from './run-with-timeout';

export interface JobContext {
  jobId: string;
  attempt: number;
  /** True when a failure of this attempt is final (no retry left): the moment to park what the job drives. */
  finalAttempt: boolean;
  workerId: string;
  /** The request that enqueued the job (from its record), also current in the handler (see request-context.ts). */
  requestId?: string | null;
  signal: AbortSignal;
  logger: Logger;
}

/** Told how each attempt ended (the worker's metrics); must not throw. */
export interface JobObserver {
  attemptFinished(event: {
    name: string;
    queue: string;
    outcome: 'succeeded' | 'retrying' | 'failed';
    durationMs: number;
  }): void;
}

/** A handler is one call into a service; it returns a small JSON-able result kept on the job record. */
export type JobHandlers = { [N in JobName]: (payload: JobPayload<N>, context: JobContext) => Promise<unknown> };

export interface WorkerOptions {
  connection: Redis;
  prefix: string;
  workerId: string;
  records: JobRecords;
  handlers: JobHandlers;
  logger: Logger;
  concurrency: Partial<Record<QueueName, number>>;
  /** How long a job's lock lives without renewal; a killed worker's job is taken over after about this long. */
  lockDurationMs: number;
  /** How often a running job's lock is renewed (default half the lock: BullMQ's). */
  lockRenewMs?: number;
  /** How often the stalled check runs (once per interval per queue, whichever worker gets there first). */
  stalledIntervalMs: number;
  observer?: JobObserver;
}

export function startWorkers(options: WorkerOptions): Worker[] {
  return QUEUE_NAMES.map((queue) => {
    const worker = new Worker(
      queue,
      // Three parameters: BullMQ then hands each job an abort signal of its own (cancelJob below fires it).
      (job, _token, lockSignal) => processJob(options, job, lockSignal),
      {
        connection: options.connection,
        prefix: options.prefix,
        concurrency: options.concurrency[queue] ?? 4,
        lockDuration: options.lockDurationMs,
        ...(options.lockRenewMs === undefined ? {} : { lockRenewTime: options.lockRenewMs }),
        stalledInterval: options.stalledIntervalMs,
        // A job whose worker died twice is more likely to kill workers than to be unlucky: fail it instead.
        maxStalledCount: 2,
        name: options.workerId,
      },
    );
    // A lock this worker could not renew may be another worker's job by now (stalled and taken over): stop our
    // run of it rather than do its work twice side by side. Its record is fenced by attempt number already.
    worker.on('lockRenewalFailed', (jobIds: string[]) => {
      for (const jobId of jobIds) {
        options.logger.warn({ jobId, queue }, 'job lock lost: aborting this run of it');
        worker.cancelJob(jobId, 'job lock lost');
      }
    });
    return worker;
  });
}

async function processJob(options: WorkerOptions, job: Job, lockSignal?: AbortSignal): Promise<unknown> {
  const { records, workerId } = options;
  const jobId = job.id ?? 'unknown';
  const ref = { queue: job.queueName, jobId };
  // attemptsStarted counts a start that a dead worker never finished (stalled), attemptsMade does not.
  const attempt = Math.max(job.attemptsStarted, job.attemptsMade + 1);
  const logger = options.logger.child({ jobId, job: job.name, attempt });
  if (!isJobName(job.name)) {
    await records.markFailed(ref, attempt, workerId, `unknown job name ${job.name}`, true);
    throw new Error(`unknown job name ${job.name}`);
  }
  const definition: JobCatalog[JobName] = jobCatalog[job.name];
  const parsed = definition.payload.safeParse(job.data);
  if (!parsed.success) {
    // Validated again here: the enqueuer may run another version of the catalog during a rolling deploy.
    const message = `payload rejected: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    await records.markFailed(ref, attempt, workerId, message, true);
    throw new Error(message);
  }
  const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  // A job a scheduler added (schedules.ts) was never enqueued through enqueueJob: its record is written here.
  if (job.repeatJobKey) {
    await records.create({ ...ref, name: job.name, payload: parsed.data, maxAttempts: job.opts.attempts ?? 1 });
  }
  const { requestId } = await records.markRunning(ref, attempt, workerId);
  const handler = options.handlers[job.name] as (payload: unknown, context: JobContext) => Promise<unknown>;
  const jobLogger = requestId ? logger.child({ requestId }) : logger;
  const started = performance.now();
  const observe = (outcome: 'succeeded' | 'retrying' | 'failed') => {
    try {
      options.observer?.attemptFinished({
        name: job.name,
        queue: job.queueName,
        outcome,
        durationMs: performance.now() - started,
      });
    } catch {
      // A broken metric must not change a job's outcome.
    }
  };
  try {
    // The handler runs as part of the request that enqueued the job: jobs it enqueues and commands it sends to
    // boxes carry the same request id.
    const output = await runWithRequestId(requestId, () =>
      runWithTimeout(definition.timeoutMs, (timeoutSignal) => {
        const signal = lockSignal ? AbortSignal.any([timeoutSignal, lockSignal]) : timeoutSignal;
        return handler(parsed.data, { jobId, attempt, finalAttempt, workerId, requestId, signal, logger: jobLogger });
      }),
    );
    await records.markSucceeded(ref, attempt, workerId, output ?? null);
    observe('succeeded');
    return output;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await records.markFailed(ref, attempt, workerId, message, finalAttempt);
    observe(finalAttempt ? 'failed' : 'retrying');
    logger.warn({ err: error, final: finalAttempt }, 'job attempt failed');
    throw error;
  }
}
