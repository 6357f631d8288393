import type { ServiceClients } from '../clients';

const SET_UP = ['ready', 'unhealthy', 'unreachable'] as const;
const COMING = ['pending', 'creating', 'starting', 'bootstrapping', 'deploying'] as const;

/**
 * The box a tenant's chains and secrets go to: its newest box that is set up and not being destroyed (the one runs
 * go to). `coming` when the tenant's box is still being provisioned: a job should retry, since a change made after
 * provisioning pushed its state would otherwise be missed (provisioning should also queue `queueTenantBoxSync`).
 */
export async function findTenantBox(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
): Promise<{ boxId: string } | { coming: true } | undefined> {
  const boxes = await prisma.box.findMany({
    where: { tenantId, destroyedAt: null, status: { in: [...SET_UP, ...COMING] } },
    orderBy: { createdAt: 'desc' },
    select: { id: true, status: true },
  });
  const ready = boxes.find((box) => (SET_UP as readonly string[]).includes(box.status));
  if (ready) return { boxId: ready.id };
  return boxes.length > 0 ? { coming: true } : undefined;
}

/** Thrown while the box is being provisioned: the job's retries wait for it. */
export class BoxNotReadyError extends Error {
  constructor(tenantId: string) {
    super(`the box of tenant ${tenantId} is still being provisioned`);
    this.name = 'BoxNotReadyError';
  }
}

/** The box id, or why the job has nothing to do: no box at all (skip), or a box on its way (retry, then skip). */
export async function boxForJob(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  finalAttempt: boolean,
): Promise<{ boxId: string } | { skipped: string }> {
  const found = await findTenantBox({ prisma }, tenantId);
  if (found && 'boxId' in found) return found;
  if (found && !finalAttempt) throw new BoxNotReadyError(tenantId);
  return { skipped: found ? 'the box is still being provisioned' : 'the workspace has no box yet' };
}
