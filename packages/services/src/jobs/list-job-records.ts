import type { ServiceClients } from '../clients';

export interface ListJobRecordsInput {
  status?: 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | undefined;
  name?: string | undefined;
  /** Every job one request caused (the API request's id, as in X-Request-Id). */
  requestId?: string | undefined;
  limit: number;
  before?: string | undefined;
}

/** Newest first; `before` pages back in time through created_at. Operators see every tenant's jobs. */
export async function listJobRecords({ prisma }: Pick<ServiceClients, 'prisma'>, input: ListJobRecordsInput) {
  return prisma.jobRecord.findMany({
    where: {
      ...(input.status ? { status: input.status } : {}),
      ...(input.name ? { name: input.name } : {}),
      ...(input.requestId ? { requestId: input.requestId } : {}),
      ...(input.before ? { createdAt: { lt: new Date(input.before) } } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: input.limit,
  });
}

export async function getJobRecord({ prisma }: Pick<ServiceClients, 'prisma'>, id: string) {
  return prisma.jobRecord.findUnique({ where: { id } });
}
