import { PICOS_PER_MICRO, picosToMicros, picosToMinor } from '@paddock/billing';
import type { OperatorMonthSpend } from '@paddock/contracts';
import type { ServiceClients } from '../clients';

/**
 * This calendar month's (UTC) spend across every tenant, per currency: what the control plane charged for model
 * usage and box time, what the model calls cost Paddock (as the boxes reported them), and the margin on model usage
 * (charged - provider cost; box time has no modelled provider cost, as in `billing/operator-costs.ts`). Exact sums,
 * each figure rounded once (packages/billing's rule). Two aggregates, not rows: the overview stays one fast read.
 */
export async function readMonthSpend(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  now = new Date(),
): Promise<OperatorMonthSpend> {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const rows = await prisma.$queryRaw<{ currency: string; picos: string; reported: bigint; box_micros: bigint }[]>`
    WITH usage AS (
      SELECT COALESCE(p.currency, 'USD') AS currency, COALESCE(sum(e.charged_picos), 0) AS picos,
             COALESCE(sum(e.reported_cost_micros), 0) AS reported
        FROM usage_events e LEFT JOIN model_prices p ON p.id = e.model_price_id
       WHERE e.occurred_at >= ${from} AND e.occurred_at < ${to}
         AND (e.rating <> 'none' OR e.reported_cost_micros > 0)
       GROUP BY 1),
    boxes AS (
      SELECT currency, sum(amount_micros) AS micros FROM cost_entries
       WHERE kind = 'box_time' AND occurred_at >= ${from} AND occurred_at < ${to}
       GROUP BY 1)
    SELECT COALESCE(u.currency, b.currency) AS currency, COALESCE(u.picos, 0)::text AS picos,
           COALESCE(u.reported, 0)::bigint AS reported, COALESCE(b.micros, 0)::bigint AS box_micros
      FROM usage u FULL JOIN boxes b ON b.currency = u.currency
     ORDER BY 1`;
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    currencies: rows.map((r) => {
      const picos = BigInt(r.picos);
      const usageMicros = picosToMicros(picos);
      return {
        currency: r.currency,
        // One rounding for the total, from the exact sum (not the sum of two rounded figures).
        totalChargedMinor: Number(picosToMinor(picos + r.box_micros * PICOS_PER_MICRO, r.currency)),
        usageChargedMicros: usageMicros.toString(),
        boxTimeChargedMicros: r.box_micros.toString(),
        providerCostMicros: r.reported.toString(),
        marginMicros: (usageMicros - r.reported).toString(),
      };
    }),
  };
}
