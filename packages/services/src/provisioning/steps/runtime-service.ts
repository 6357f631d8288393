import { AppError } from '@paddock/contracts';
import { DEFAULT_BOX_LAYOUT, layoutPaths, sh } from '@paddock/fleet';
import { loadBoxTarget } from '../../boxes/box-target';
import type { ProvisioningDeps } from '../provisioning-deps';

/** The tenant's live box, or null when it has none (never provisioned, or already destroyed). */
export async function liveBoxOf(deps: ProvisioningDeps, tenantId: string) {
  return deps.prisma.box.findFirst({
    where: { tenantId, destroyedAt: null, status: { notIn: ['destroying', 'destroyed'] } },
    orderBy: { createdAt: 'asc' },
  });
}

/** Starts or stops the runtime service on the tenant's box (`paddock-service start|stop`, both idempotent). */
export async function runtimeService(
  deps: ProvisioningDeps,
  boxId: string,
  action: 'start' | 'stop',
): Promise<{ boxId: string; action: string }> {
  const box = await deps.prisma.box.findUniqueOrThrow({ where: { id: boxId } });
  if (!box.bootstrappedAt) throw new AppError('unprocessable', `Box ${boxId} was never bootstrapped.`);
  const target = await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, boxId);
  const service = layoutPaths(deps.layout ?? DEFAULT_BOX_LAYOUT).service;
  const connection = await deps.ssh.connect(target);
  await connection.exec(sh`${service} ${action}`, { label: `runtime ${action}`, timeoutMs: 90_000 });
  return { boxId, action };
}
