import { AppError } from '@paddock/contracts';
import { type ActivationOutcome, activateChainVersionAsOperator } from '../chains/chain-activation';
import type { RequestFacts } from '../tenants/tenant-identity';
import type { ServiceClients } from '../clients';

/**
 * An operator makes a tenant's chain version active, named as the tenant names it (chain name, version number):
 * an override when staging did not pass it, audited as the operator with the reason. An unknown tenant, chain or
 * version is 404 (another tenant's chain of the same name is never found); a version already active, or not on the
 * box yet, is the activation's 409; a tenant being deleted has no box to run it on (409).
 */
export async function activateTenantChainVersion(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  operator: { userId: string; email: string },
  target: { tenantId: string; chainName: string; version: number; reason: string },
  request: RequestFacts = {},
): Promise<ActivationOutcome> {
  const tenant = await prisma.tenant.findUnique({ where: { id: target.tenantId }, select: { status: true } });
  if (!tenant) throw new AppError('not_found', `There is no tenant ${target.tenantId}.`);
  if (tenant.status === 'deleting' || tenant.status === 'deleted') {
    throw new AppError('conflict', `Tenant ${target.tenantId} is ${tenant.status}: its chains can no longer change.`);
  }
  const chain = await prisma.chain.findUnique({
    where: { tenantId_name: { tenantId: target.tenantId, name: target.chainName } },
    select: { id: true },
  });
  if (!chain) throw new AppError('not_found', `Tenant ${target.tenantId} has no chain named "${target.chainName}".`);
  return activateChainVersionAsOperator(
    { prisma },
    operator,
    { tenantId: target.tenantId, chainId: chain.id, version: target.version, reason: target.reason },
    request,
  );
}
