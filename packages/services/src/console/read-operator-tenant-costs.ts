import type { CostGrouping } from '../billing/read-costs';
import { readTenantCosts } from '../billing/tenant-costs';
import type { ServiceClients } from '../clients';

/**
 * One tenant's costs as an operator sees them on the tenant's page: the same figures the tenant reads at
 * GET /v1/costs (scoped by tenant id in every query), or null for a tenant that does not exist (a 404, not an
 * empty chart that hides a wrong id).
 */
export async function readOperatorTenantCosts(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  query: { from: Date; to: Date; groupBy: CostGrouping },
) {
  const tenant = await prisma.tenant.findUnique({ where: { id: tenantId }, select: { id: true } });
  return tenant ? readTenantCosts({ prisma }, tenant.id, query) : null;
}
