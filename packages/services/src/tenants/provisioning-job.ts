import { addJobToQueue, jobCatalog } from '@paddock/jobs';
import type { ServiceClients } from '../clients';

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
 */
export async function queueProvisioningJob(
  { queues }: Pick<ServiceClients, 'queues'>,
  job: { tenantId: string; workflowId: string },
): Promise<string> {
  const jobId = provisioningJobId(job.workflowId);
  await addJobToQueue(queues, 'tenant.provision', { tenantId: job.tenantId, workflowId: job.workflowId }, jobId);
  return jobId;
}
