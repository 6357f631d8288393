import { Prisma, type PrismaClient } from '@paddock/db';
import type { JobRecordInput, JobRecords, JobRef } from './job-records';

/** Postgres keeps at most this much of an error: enough to diagnose, never an unbounded blob per attempt. */
const MAX_ERROR_LENGTH = 4_000;

/**
 * Job records in Postgres. Updates after `create` match on the attempt number, so a worker that lost its job's lock
 * (presumed dead, job handed to another worker) cannot overwrite what the newer attempt wrote.
 */
export function createPrismaJobRecords(prisma: PrismaClient): JobRecords {
  return {
    async create(input: JobRecordInput) {
      const where = { queue_jobId: { queue: input.queue, jobId: input.jobId } };
      // Two callers enqueueing one job id at once (a coalescing window, a replayed request): Prisma's upsert may
      // read-then-insert, so the loser of that race sees a unique violation; the row it wanted exists, use it.
      const existing = () => prisma.jobRecord.findUniqueOrThrow({ where, select: { id: true } });
      const row = await prisma.jobRecord
        .upsert({
          where,
          update: {},
          create: {
            queue: input.queue,
            jobId: input.jobId,
            name: input.name,
            payload: input.payload as Prisma.InputJsonValue,
            maxAttempts: input.maxAttempts,
            tenantId: input.tenantId ?? null,
            boxId: input.boxId ?? null,
            requestId: input.requestId ?? null,
          },
          select: { id: true },
        })
        .catch((error: unknown) => {
          if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') return existing();
          throw error;
        });
      return { id: row.id };
    },

    async markRunning(ref: JobRef, attempt: number, workerId: string) {
      const rows = await prisma.jobRecord.updateManyAndReturn({
        where: { queue: ref.queue, jobId: ref.jobId, attempts: { lte: attempt } },
        data: { status: 'running', attempts: attempt, workerId, startedAt: new Date(), error: null },
        select: { requestId: true },
      });
      return { requestId: rows[0]?.requestId ?? null };
    },

    async markSucceeded(ref: JobRef, attempt: number, workerId: string, output: unknown) {
      await prisma.jobRecord.updateMany({
        where: { queue: ref.queue, jobId: ref.jobId, attempts: attempt },
        data: {
          status: 'succeeded',
          workerId,
          output: output === undefined || output === null ? Prisma.DbNull : (output as Prisma.InputJsonValue),
          finishedAt: new Date(),
        },
      });
    },

    async markFailed(ref: JobRef, attempt: number, workerId: string, error: string, final: boolean) {
      await prisma.jobRecord.updateMany({
        where: { queue: ref.queue, jobId: ref.jobId, attempts: { lte: attempt } },
        data: {
          status: final ? 'failed' : 'retrying',
          attempts: Math.max(attempt, 0),
          workerId,
          error: error.slice(0, MAX_ERROR_LENGTH),
          finishedAt: final ? new Date() : null,
        },
      });
    },
  };
}
