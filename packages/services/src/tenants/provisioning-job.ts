import { jobCatalog, type Queues } from '@paddock/jobs';

const PROVISION = jobCatalog['tenant.provision'];

/** BullMQ job ids may not contain ':'; one job per workflow, so the id is derived from the workflow's. */
export function provisioningJobId(workflowId: string): string {
  return `provision-${workflowId}`;
}

export const PROVISIONING_JOB = { name: PROVISION.name, queue: PROVISION.queue, attempts: PROVISION.attempts };

/**
 * Adds the provisioning job to its queue. The job record was written in the signup transaction (an outbox row), so
 * this is only the Redis half: idempotent (BullMQ ignores a second add with the same job id), and safe to repeat
 * when a signup is replayed and the record is still `queued`.
 *
 * The add options mirror `enqueueJob` in @paddock/jobs, which writes its own record first and so cannot take part in
 * the signup transaction.
 */
export async function queueProvisioningJob(
  queues: Queues,
  job: { tenantId: string; workflowId: string },
): Promise<string> {
  const payload = PROVISION.payload.parse({ tenantId: job.tenantId, workflowId: job.workflowId });
  const jobId = provisioningJobId(job.workflowId);
  await queues[PROVISION.queue].add(PROVISION.name, payload, {
    jobId,
    attempts: PROVISION.attempts,
    backoff: { type: PROVISION.backoff.type, delay: PROVISION.backoff.delayMs },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });
  return jobId;
}
