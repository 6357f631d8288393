import { AppError } from '@paddock/contracts';
import type { ServiceClients } from '../clients';

/** A run of the tenant with what acting on it needs; another tenant's run is not found, exactly like a missing one. */
export async function findTenantRun({ prisma }: Pick<ServiceClients, 'prisma'>, tenantId: string, runId: string) {
  const run = await prisma.run.findFirst({
    where: { id: runId, tenantId },
    select: { id: true, boxId: true, runtimeRunId: true, status: true },
  });
  if (!run) throw runNotFound(runId);
  return run;
}

export function runNotFound(runId: string): AppError {
  return new AppError('not_found', `There is no run ${runId}.`);
}

/** The run as the box knows it: its box and its id there. */
export function onBox(run: { id: string; boxId: string | null; runtimeRunId: string | null }) {
  if (!run.boxId || !run.runtimeRunId) {
    throw new AppError('conflict', `Run ${run.id} has not reached a box; there is nothing to act on there.`);
  }
  return { boxId: run.boxId, runtimeRunId: run.runtimeRunId };
}

/**
 * The box new runs of a tenant go to: its newest box that is not being destroyed. A tenant still provisioning has
 * none yet, which is a state to wait out, not an error of the request.
 */
export async function tenantBoxId({ prisma }: Pick<ServiceClients, 'prisma'>, tenantId: string): Promise<string> {
  const box = await prisma.box.findFirst({
    where: { tenantId, destroyedAt: null, status: { in: ['ready', 'unhealthy', 'unreachable'] } },
    orderBy: { createdAt: 'desc' },
    select: { id: true },
  });
  if (!box) throw new AppError('conflict', 'This workspace has no box ready yet; runs can start once it is active.');
  return box.id;
}
