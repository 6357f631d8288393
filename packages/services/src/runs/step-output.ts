import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import type { BoxFile, BoxGateway } from '../boxes/box-gateway';
import { onBox, runNotFound } from './find-run';

interface RunWithStep {
  id: string;
  boxId: string | null;
  runtimeRunId: string | null;
  stepKnown: boolean;
}

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
  // The run and whether it recorded the step, in one statement (both scoped by the tenant).
  const rows = await prisma.$queryRaw<RunWithStep[]>`
    SELECT r.id, r.box_id AS "boxId", r.runtime_run_id AS "runtimeRunId",
           EXISTS (SELECT 1 FROM run_steps s WHERE s.run_id = r.id AND s.tenant_id = r.tenant_id AND s.name = ${step})
             AS "stepKnown"
      FROM runs r
     WHERE r.id = ${runId}::uuid AND r.tenant_id = ${tenantId}::uuid`;
  const run = rows[0];
  if (!run) throw runNotFound(runId);
  if (!run.stepKnown) throw new AppError('not_found', `Run ${runId} has no step ${step}.`);
  const target = onBox(run);
  const file = await boxes.readStepOutput(target.boxId, target.runtimeRunId, step, maxBytes);
  if (!file) throw new AppError('not_found', `Step ${step} of run ${runId} has no output yet.`);
  return { ...file, truncated: file.size > maxBytes };
}
