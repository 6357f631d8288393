import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import type { BoxFile, BoxGateway } from '../boxes/box-gateway';
import { findTenantRun, onBox } from './find-run';

/**
 * A step's output, read from the run's box (outputs are not copied to Postgres), at most `maxBytes` of it. The step
 * must be one the run has recorded; the file is the runtime's `steps/<step>/output` of that run, nothing else.
 */
export async function readStepOutput(
  prisma: PrismaClient,
  boxes: BoxGateway,
  tenantId: string,
  runId: string,
  step: string,
  maxBytes: number,
): Promise<BoxFile & { truncated: boolean }> {
  const run = await findTenantRun(prisma, tenantId, runId);
  const known = await prisma.runStep.findFirst({
    where: { runId: run.id, tenantId, name: step },
    select: { id: true },
  });
  if (!known) throw new AppError('not_found', `Run ${runId} has no step ${step}.`);
  const target = onBox(run);
  const file = await boxes.readStepOutput(target.boxId, target.runtimeRunId, step, maxBytes);
  if (!file) throw new AppError('not_found', `Step ${step} of run ${runId} has no output yet.`);
  return { ...file, truncated: file.size > maxBytes };
}
