import { picosToMicros } from '@paddock/billing';
import type { Prisma } from '@paddock/db';
import type { Pool } from 'pg';
import type { BillingPeriod } from './billing-period';

type Db = Pick<Prisma.TransactionClient, '$queryRawUnsafe'>;

export interface SpendSnapshot {
  /** The tenant's spend in the period, in micros (rounded once, see packages/billing). */
  micros: bigint;
  /** The collection cursor of the box asked for ('' before its first batch), read in the same snapshot. */
  cursor: string;
}

/**
 * THE one query of a tenant's spend for limits and caps ($1 tenant, $2/$3 the period, $4 a box or null): usage events
 * of the period (by when the step finished) at the control plane's own charge (`charged_picos`, summed exactly,
 * rounded once), and the box's collection cursor, in one statement (one MVCC snapshot): ingestion moves the cursor
 * and inserts the events it covers in one transaction, so the box can count exactly the usage after that cursor.
 * Unpriced usage counts nothing until a price covers it (then re-rating prices it, and the spend grows).
 */
const SPEND_SQL = `
  SELECT (SELECT sum(charged_picos) FROM usage_events
           WHERE tenant_id = $1::uuid AND occurred_at >= $2 AND occurred_at < $3 AND rating = 'priced')::text AS picos,
         (SELECT cursor FROM collector_cursors WHERE box_id = $4::uuid) AS cursor`;

interface SpendRow {
  picos: string | null;
  cursor: string | null;
}

export async function periodSpendMicros(
  { prisma: db }: { prisma: Db },
  tenantId: string,
  period: BillingPeriod,
): Promise<bigint> {
  return (await spendSnapshot({ prisma: db }, tenantId, period, null)).micros;
}

export async function spendSnapshot(
  { prisma: db }: { prisma: Db },
  tenantId: string,
  period: BillingPeriod,
  boxId: string | null,
): Promise<SpendSnapshot> {
  const [row] = await db.$queryRawUnsafe<SpendRow[]>(SPEND_SQL, tenantId, period.start, period.end, boxId);
  return fromRow(row);
}

/** The same figures through a `pg` pool (the collector's). */
export async function spendSnapshotWithPool(
  pool: Pick<Pool, 'query'>,
  tenantId: string,
  period: BillingPeriod,
  boxId: string | null,
): Promise<SpendSnapshot> {
  const { rows } = await pool.query<SpendRow>(SPEND_SQL, [tenantId, period.start, period.end, boxId]);
  return fromRow(rows[0]);
}

function fromRow(row: SpendRow | undefined): SpendSnapshot {
  const picos = BigInt(row?.picos ?? '0');
  return { micros: picosToMicros(picos), cursor: row?.cursor ?? '' };
}
