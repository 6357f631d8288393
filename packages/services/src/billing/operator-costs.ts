import { PICOS_PER_MICRO, picosToMicros, picosToMinor } from '@paddock/billing';
import type { ServiceClients } from '../clients';

/**
 * Every tenant's costs in [from, to), biggest spender first: the control plane's charge for model usage (exact pico
 * sum, rounded once), box time charged, and the margin on model usage = charged - provider cost, where the provider
 * cost is what the boxes reported their model calls cost (Paddock passes the provider's bill through). Box time has
 * no modelled provider cost: it is shown, and left out of the margin.
 */
export async function readTopSpenders(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  query: { from: Date; to: Date; limit: number },
) {
  const rows = await prisma.$queryRaw<
    {
      tenant_id: string;
      slug: string;
      currency: string;
      picos: string;
      reported: bigint;
      box_micros: bigint;
      events: bigint;
      unpriced: bigint;
    }[]
  >`
    WITH usage AS (
      SELECT e.tenant_id, COALESCE(p.currency, 'USD') AS currency, COALESCE(sum(e.charged_picos), 0) AS picos,
             COALESCE(sum(e.reported_cost_micros), 0) AS reported, count(*) AS events,
             count(*) FILTER (WHERE e.rating = 'unpriced') AS unpriced
        FROM usage_events e LEFT JOIN model_prices p ON p.id = e.model_price_id
       WHERE e.occurred_at >= ${query.from} AND e.occurred_at < ${query.to}
         AND (e.rating <> 'none' OR e.reported_cost_micros > 0)
       GROUP BY 1, 2),
    boxes AS (
      SELECT tenant_id, currency, sum(amount_micros) AS micros FROM cost_entries
       WHERE kind = 'box_time' AND occurred_at >= ${query.from} AND occurred_at < ${query.to}
       GROUP BY 1, 2)
    SELECT t.id::text AS tenant_id, t.slug, COALESCE(u.currency, b.currency) AS currency,
           COALESCE(u.picos, 0)::text AS picos, COALESCE(u.reported, 0)::bigint AS reported,
           COALESCE(b.micros, 0)::bigint AS box_micros, COALESCE(u.events, 0)::bigint AS events,
           COALESCE(u.unpriced, 0)::bigint AS unpriced
      FROM usage u FULL JOIN boxes b ON b.tenant_id = u.tenant_id AND b.currency = u.currency
      JOIN tenants t ON t.id = COALESCE(u.tenant_id, b.tenant_id)
     ORDER BY COALESCE(u.picos, 0) + COALESCE(b.micros, 0) * 1000000 DESC, t.slug
     LIMIT ${query.limit}`;
  return {
    from: query.from.toISOString(),
    to: query.to.toISOString(),
    tenants: rows.map((r) => {
      const usageMicros = picosToMicros(BigInt(r.picos));
      const margin = usageMicros - r.reported;
      return {
        tenantId: r.tenant_id,
        slug: r.slug,
        currency: r.currency,
        usageChargedMicros: usageMicros.toString(),
        providerCostMicros: r.reported.toString(),
        marginMicros: margin.toString(),
        boxTimeChargedMicros: r.box_micros.toString(),
        // One rounding for the total, from the exact sum (not the sum of two rounded figures).
        totalChargedMinor: Number(picosToMinor(BigInt(r.picos) + r.box_micros * PICOS_PER_MICRO, r.currency)),
        events: Number(r.events),
        unpricedEvents: Number(r.unpriced),
      };
    }),
  };
}
