import type { RequestFacts } from '../tenants/tenant-identity';
import { operatorActor, writeAudit } from '../audit/audit-entry';
import type { PriceBookOperator } from './price-book-support';
import { rerateUnpriced } from './rerate-unpriced';
import type { ServiceClients } from '../clients';

/**
 * An operator asks for every model's unpriced usage to be priced where a price now covers it (after a re-rating
 * failed, say). Idempotent: a second call finds nothing to price. Audited with how many events it priced.
 */
export async function rerateAllUnpriced(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  operator: PriceBookOperator,
  request: RequestFacts = {},
): Promise<{ reRated: number }> {
  const reRated = await prisma.$transaction((tx) => rerateUnpriced({ prisma: tx }), {
    timeout: 300_000,
    maxWait: 10_000,
  });
  await writeAudit(
    { prisma },
    {
      actor: operatorActor(operator),
      action: 'billing.usage.rerate',
      target: { type: 'billing.usage', id: 'all' },
      details: { reRated },
      request,
    },
  );
  return { reRated };
}
