import { AppError } from '@paddock/contracts';
import { Prisma } from '@paddock/db';
import type { BoxFile, BoxGateway } from '../boxes/box-gateway';
import { onBox, runNotFound } from './find-run';
import type { ServiceClients } from '../clients';

interface RunWithAttempt {
  id: string;
  boxId: string | null;
  runtimeRunId: string | null;
  /** The asked attempt of the step, else its current (highest) one; null when the run has no such step/attempt. */
  attempt: number | null;
  outputPath: string | null;
}

/**
 * One attempt's output of a step (the asked one, else the step's current attempt), read from the run's box (outputs
 * are not copied to Postgres), at most `maxBytes` of it. The attempt must be one the run has recorded; the file is the
 * runtime's `steps/<step>/attempts/<n>/output` of that run, nothing else.
 */
export async function readStepOutput(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  boxes: BoxGateway,
  tenantId: string,
  runId: string,
  step: string,
  maxBytes: number,
  attempt?: number,
): Promise<BoxFile & { truncated: boolean; attempt: number }> {
  const which = attempt === undefined ? Prisma.empty : Prisma.sql`AND s.attempt = ${attempt}`;
  // The run and the step's attempt, in one statement (both scoped by the tenant).
  const rows = await prisma.$queryRaw<RunWithAttempt[]>`
    SELECT r.id, r.box_id AS "boxId", r.runtime_run_id AS "runtimeRunId", s.attempt, s.output_path AS "outputPath"
      FROM runs r
      LEFT JOIN LATERAL (
        SELECT s.attempt, s.output_path FROM run_steps s
         WHERE s.run_id = r.id AND s.tenant_id = r.tenant_id AND s.name = ${step} ${which}
         ORDER BY s.attempt DESC LIMIT 1
      ) s ON true
     WHERE r.id = ${runId}::uuid AND r.tenant_id = ${tenantId}::uuid`;
  const run = rows[0];
  if (!run) throw runNotFound(runId);
  if (run.attempt === null) {
    throw new AppError(
      'not_found',
      attempt === undefined
        ? `Run ${runId} has no step ${step}.`
        : `Step ${step} of run ${runId} has no attempt ${attempt}.`,
    );
  }
  const target = onBox(run);
  // An attempt recorded by a runtime older than attempt directories has its output at the step's usual path.
  const legacy = run.outputPath !== null && !run.outputPath.includes('/attempts/');
  const file = await boxes.readStepOutput(
    target.boxId,
    target.runtimeRunId,
    step,
    maxBytes,
    legacy ? undefined : run.attempt,
  );
  if (!file)
    throw new AppError('not_found', `Attempt ${run.attempt} of step ${step} of run ${runId} has no output yet.`);
  return { ...file, truncated: file.size > maxBytes, attempt: run.attempt };
}
