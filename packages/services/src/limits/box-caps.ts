import { type BoxCaps, type PlanLimits, StoredPlanLimitsSchema } from '@paddock/contracts';
import type { Prisma } from '@paddock/db';
import type { Pool } from 'pg';
import { lockTenantPlan } from '../tenants/plan-limits';
import { type BillingPeriod, billingPeriodOf } from './billing-period';
import { type SpendSnapshot, spendSnapshot, spendSnapshotWithPool } from './period-spend';
import type { ServiceClients } from '../clients';

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The caps a box holds on its own: the plan's concurrency limit and, for a hard spend cap, the budget left at the
 * box's collection cursor (see contracts' box-caps.ts). A soft cap sends no budget: it never refuses a run.
 * Any snapshot is self-consistent (budget and cursor read together), so an older one landing after a newer one
 * is still exact, only less recent.
 */
export async function boxCapsFor(
  { prisma: tx }: { prisma: Pick<Prisma.TransactionClient, '$queryRawUnsafe'> },
  input: { tenantId: string; boxId: string; limits: PlanLimits; period: BillingPeriod; now: Date },
): Promise<BoxCaps> {
  const hard = input.limits.spendCap?.mode === 'hard';
  const spent = hard ? await spendSnapshot({ prisma: tx }, input.tenantId, input.period, input.boxId) : undefined;
  return capsOf(input.limits, spent, input.period, input.now);
}

/** The caps of a tenant's box as they are now (for the `caps` op). */
export async function currentBoxCaps(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  boxId: string,
): Promise<BoxCaps> {
  return prisma.$transaction(async (tx) => {
    const { limits } = await lockTenantPlan({ prisma: tx }, tenantId);
    const now = new Date();
    return boxCapsFor({ prisma: tx }, { tenantId, boxId, limits, period: billingPeriodOf(now), now });
  });
}

/** The same through a `pg` pool: what the collector re-sends to the box it streams (collect/box-collector.ts). */
export async function currentBoxCapsWithPool(
  pool: Pick<Pool, 'query'>,
  tenantId: string,
  boxId: string,
): Promise<BoxCaps | undefined> {
  const { rows } = await pool.query<{ limits: unknown }>(
    'SELECT p.limits FROM tenants t JOIN plans p ON p.id = t.plan_id WHERE t.id = $1::uuid',
    [tenantId],
  );
  const parsed = StoredPlanLimitsSchema.safeParse(rows[0]?.limits ?? {});
  if (!rows[0] || !parsed.success) return undefined;
  const now = new Date();
  const period = billingPeriodOf(now);
  const hard = parsed.data.spendCap?.mode === 'hard';
  const spent = hard ? await spendSnapshotWithPool(pool, tenantId, period, boxId) : undefined;
  return capsOf(parsed.data, spent, period, now);
}

function capsOf(limits: PlanLimits, spent: SpendSnapshot | undefined, period: BillingPeriod, now: Date): BoxCaps {
  const cap = limits.spendCap;
  return {
    max_concurrent_runs: limits.maxConcurrentRuns ?? null,
    budget:
      cap?.mode === 'hard' && spent
        ? {
            remaining_micros: clampSafe(BigInt(cap.monthlyMicros) - spent.micros),
            cursor: spent.cursor,
            period: period.label,
          }
        : null,
    issued_at: now.toISOString(),
  };
}

function clampSafe(value: bigint): number {
  if (value > SAFE) return Number.MAX_SAFE_INTEGER;
  if (value < -SAFE) return -Number.MAX_SAFE_INTEGER;
  return Number(value);
}
