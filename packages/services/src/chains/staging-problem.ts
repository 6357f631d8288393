import type { StagingResult } from '@paddock/contracts';
import type { Prisma } from '@paddock/db';
import type { ServiceClients } from '../clients';

/**
 * Staging could not happen (the files never reached the box, the box stopped answering): the reason is kept as the
 * version's staging result for the tenant to see, and the version stays in staging. Uploading it again retries;
 * a person may also activate it by override.
 */
export async function recordStagingProblem(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  chainVersionId: string,
  error: string,
) {
  const now = new Date().toISOString();
  const result: StagingResult = { passed: false, startedAt: now, finishedAt: now, error, references: [] };
  await prisma.chainVersion.updateMany({
    where: { id: chainVersionId, status: 'staging' },
    data: { stagingResult: result as unknown as Prisma.InputJsonObject },
  });
}
