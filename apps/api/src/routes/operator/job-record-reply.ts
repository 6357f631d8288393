import type { JobRecord } from '@paddock/db';

export function toJobRecordReply(record: JobRecord) {
  return {
    id: record.id,
    queue: record.queue,
    name: record.name,
    jobId: record.jobId,
    status: record.status,
    attempts: record.attempts,
    maxAttempts: record.maxAttempts,
    error: record.error,
    workerId: record.workerId,
    tenantId: record.tenantId,
    boxId: record.boxId,
    requestId: record.requestId,
    output: record.output,
    createdAt: record.createdAt.toISOString(),
    startedAt: record.startedAt?.toISOString() ?? null,
    finishedAt: record.finishedAt?.toISOString() ?? null,
  };
}
