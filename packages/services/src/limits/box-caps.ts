import type { BoxCaps, PlanLimits } from '@paddock/contracts';
import type { Prisma, PrismaClient } from '@paddock/db';
import { lockTenantPlan } from '../tenants/plan-limits';
import { type BillingPeriod, billingPeriodOf } from './billing-period';
import { spendSnapshot } from './period-spend';

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The caps a box holds on its own: the plan's concurrency limit and, for a hard spend cap, the budget left at the
 * box's collection cursor (see contracts' box-caps.ts). A soft cap sends no budget: it never refuses a run.
 */
export async function boxCapsFor(
  tx: Pick<Prisma.TransactionClient, '$queryRaw'>,
  input: { tenantId: string; boxId: string; limits: PlanLimits; period: BillingPeriod; now: Date },
): Promise<BoxCaps> {
  const cap = input.limits.spendCap;
  let budget: BoxCaps['budget'] = null;
  if (cap?.mode === 'hard') {
    const spent = await spendSnapshot(tx, input.tenantId, input.period, input.boxId);
    budget = {
      remaining_micros: clampSafe(BigInt(cap.monthlyMicros) - spent.micros),
      cursor: spent.cursor,
      period: input.period.label,
    };
  }
  return {
    max_concurrent_runs: input.limits.maxConcurrentRuns ?? null,
    budget,
    issued_at: input.now.toISOString(),
  };
}

/** The caps of a tenant's box as they are now (for the `caps` op, sent when plans or spend change). */
export async function currentBoxCaps(prisma: PrismaClient, tenantId: string, boxId: string): Promise<BoxCaps> {
  return prisma.$transaction(async (tx) => {
    const { limits } = await lockTenantPlan(tx, tenantId);
    const now = new Date();
    return boxCapsFor(tx, { tenantId, boxId, limits, period: billingPeriodOf(now), now });
  });
}

function clampSafe(value: bigint): number {
  if (value > SAFE) return Number.MAX_SAFE_INTEGER;
  if (value < -SAFE) return -Number.MAX_SAFE_INTEGER;
  return Number(value);
}
