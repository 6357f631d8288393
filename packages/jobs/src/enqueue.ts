import { randomUUID } from 'node:crypto';
import { AppError } from '@paddock/contracts';
import { currentRequestId } from '@paddock/platform';
import { type JobName, type JobPayload, jobCatalog } from './catalog';
import type { JobRecords } from './job-records';
import type { Queues } from './queues';

export interface EnqueueOptions {
  /** A stable id makes enqueueing idempotent: BullMQ ignores a second add with the same job id. */
  jobId?: string;
  tenantId?: string;
  boxId?: string;
  delayMs?: number;
  /** The first retry's delay instead of the catalog's (same backoff type): tests of real retries, in milliseconds. */
  backoffDelayMs?: number;
  /** Default: the current request id (the API request or job enqueueing this one), so the trail continues. */
  requestId?: string;
}

/**
 * Validates the payload against the catalog, writes the job record, then adds the job to its queue. The record
 * comes first so a job can never run without a row to report into; a row whose add failed is marked failed.
 */
export async function enqueueJob<N extends JobName>(
  deps: { queues: Queues; records: JobRecords },
  name: N,
  payload: JobPayload<N>,
  options: EnqueueOptions = {},
): Promise<{ recordId: string; jobId: string }> {
  const definition = jobCatalog[name];
  const parsed = definition.payload.safeParse(payload);
  if (!parsed.success) {
    throw new AppError('validation_failed', `The payload of job ${name} is invalid.`, {
      details: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
  const jobId = options.jobId ?? randomUUID();
  const ref = { queue: definition.queue, jobId };
  const record = await deps.records.create({
    ...ref,
    name,
    payload: parsed.data,
    maxAttempts: definition.attempts,
    tenantId: options.tenantId,
    boxId: options.boxId,
    requestId: options.requestId ?? currentRequestId(),
  });
  try {
    await addJobToQueue(
      deps.queues,
      name,
      parsed.data as JobPayload<N>,
      jobId,
      options.delayMs,
      options.backoffDelayMs,
    );
  } catch (error) {
    await deps.records.markFailed(ref, 0, 'enqueue', `could not add to queue: ${(error as Error).message}`, true);
    throw error;
  }
  return { recordId: record.id, jobId };
}

/**
 * The Redis half of enqueueing, for callers that wrote the job record themselves (e.g. inside a larger Postgres
 * transaction, as an outbox row). Idempotent: BullMQ ignores a second add with the same job id.
 */
export async function addJobToQueue<N extends JobName>(
  queues: Queues,
  name: N,
  payload: JobPayload<N>,
  jobId: string,
  delayMs?: number,
  backoffDelayMs?: number,
): Promise<void> {
  if (jobId.includes(':')) throw new AppError('bad_request', `BullMQ job ids may not contain ':' (got ${jobId}).`);
  const definition = jobCatalog[name];
  await queues[definition.queue].add(name, definition.payload.parse(payload), {
    jobId,
    attempts: definition.attempts,
    backoff: { type: definition.backoff.type, delay: backoffDelayMs ?? definition.backoff.delayMs },
    delay: delayMs,
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });
}
