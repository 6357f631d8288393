import { type CostGrouping, readBoxTime, readCostGroups } from './read-costs';
import type { ServiceClients } from '../clients';

/**
 * A tenant's own costs for a period: rated usage grouped by chain, chain version, step, model, box or day, and the
 * box time charged (by box or day; by day for the other groupings). Scoped by `tenant_id` in every query.
 */
export async function readTenantCosts(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  query: { from: Date; to: Date; groupBy: CostGrouping },
) {
  const [usage, boxTime] = await Promise.all([
    readCostGroups({ prisma }, { tenantId }, query),
    readBoxTime({ prisma }, { tenantId }, { ...query, groupBy: query.groupBy === 'box' ? 'box' : 'day' }),
  ]);
  return { from: query.from.toISOString(), to: query.to.toISOString(), groupBy: query.groupBy, usage, boxTime };
}

/** Every tenant's costs for a period (operators), grouped the same way. */
export async function readOperatorCosts(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  query: { from: Date; to: Date; groupBy: CostGrouping },
) {
  const [usage, boxTime] = await Promise.all([
    readCostGroups({ prisma }, {}, query),
    readBoxTime({ prisma }, {}, { ...query, groupBy: query.groupBy === 'box' ? 'box' : 'day' }),
  ]);
  return { from: query.from.toISOString(), to: query.to.toISOString(), groupBy: query.groupBy, usage, boxTime };
}
