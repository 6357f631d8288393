import { picosToMicros } from '@paddock/billing';
import type { Prisma } from '@paddock/db';
import type { BillingPeriod } from './billing-period';

type Db = Pick<Prisma.TransactionClient, '$queryRaw'>;

export interface SpendSnapshot {
  /** The tenant's spend in the period, in micros (rounded once, see packages/billing). */
  micros: bigint;
  /** The collection cursor of `boxId` the figure covers ('' before its first batch), read in the same snapshot. */
  cursor: string;
}

/**
 * THE one read of a tenant's spend for limits and caps: usage events of the period (by when the step finished),
 * at the control plane's own charge (`charged_picos`, summed exactly, rounded once).
 *
 * FALLBACK until ingestion rates usage (is10-rating): an event not rated `priced` counts at `cost_micros` (what the
 * box reported). Remove the second sum when every event with usage is rated at ingestion.
 */
export async function periodSpendMicros(db: Db, tenantId: string, period: BillingPeriod): Promise<bigint> {
  return (await spendSnapshot(db, tenantId, period, null)).micros;
}

/**
 * The period's spend and the box's collection cursor in one statement (one MVCC snapshot): ingestion moves the cursor
 * and inserts the events it covers in one transaction, so the box can count exactly the usage after the cursor.
 */
export async function spendSnapshot(
  db: Db,
  tenantId: string,
  period: BillingPeriod,
  boxId: string | null,
): Promise<SpendSnapshot> {
  const [row] = await db.$queryRaw<
    Array<{ picos: string | null; fallback_micros: string | null; cursor: string | null }>
  >`
    SELECT (SELECT sum(charged_picos) FROM usage_events
             WHERE tenant_id = ${tenantId}::uuid AND occurred_at >= ${period.start} AND occurred_at < ${period.end}
               AND rating = 'priced')::text AS picos,
           (SELECT sum(cost_micros) FROM usage_events
             WHERE tenant_id = ${tenantId}::uuid AND occurred_at >= ${period.start} AND occurred_at < ${period.end}
               AND rating <> 'priced')::text AS fallback_micros,
           (SELECT cursor FROM collector_cursors WHERE box_id = ${boxId}::uuid) AS cursor`;
  const picos = BigInt(row?.picos ?? '0');
  const fallback = BigInt(row?.fallback_micros ?? '0');
  return { micros: picosToMicros(picos) + fallback, cursor: row?.cursor ?? '' };
}
