import { AppError, type PlanLimitName, type PlanLimits, StoredPlanLimitsSchema } from '@paddock/contracts';
import type { Prisma } from '@paddock/db';

export type { PlanLimits };

/** The plan limits a tenant's row points at, with what the plan's currency is (for messages). */
export interface TenantPlan {
  planId: string;
  currency: string;
  limits: PlanLimits;
}

/**
 * The tenant's plan limits, read under a per-tenant advisory lock held until the transaction ends: two concurrent
 * creations (chains, secrets, runs) cannot both see room for one more (count-then-insert is only safe serialized).
 */
export async function lockPlanLimits(
  { prisma: tx }: { prisma: Prisma.TransactionClient },
  tenantId: string,
): Promise<PlanLimits> {
  return (await lockTenantPlan({ prisma: tx }, tenantId)).limits;
}

export async function lockTenantPlan(
  { prisma: tx }: { prisma: Prisma.TransactionClient },
  tenantId: string,
): Promise<TenantPlan> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('paddock:plan-limits'), hashtext(${tenantId}))`;
  const [row] = await tx.$queryRaw<Array<{ plan_id: string; currency: string; limits: unknown }>>`
    SELECT p.id::text AS plan_id, p.currency, p.limits
      FROM tenants t JOIN plans p ON p.id = t.plan_id WHERE t.id = ${tenantId}::uuid`;
  if (!row) throw new AppError('not_found', `There is no tenant ${tenantId}.`);
  const parsed = StoredPlanLimitsSchema.safeParse(row.limits ?? {});
  if (!parsed.success) {
    throw new AppError('internal', `the plan of tenant ${tenantId} has malformed limits`, { cause: parsed.error });
  }
  return { planId: row.plan_id, currency: row.currency, limits: parsed.data };
}

const WHAT: Record<PlanLimitName, string> = {
  maxChains: 'chains',
  maxSecrets: 'secrets',
  maxConcurrentRuns: 'runs at once (queued, running or waiting for a decision)',
  maxAgentsPerChain: 'steps in one chain',
};

/** `plan_limit_reached`, naming the limit, the current figure and the maximum (in the message and in `details`). */
export function limitReached(limit: PlanLimitName, current: number, maximum: number): AppError {
  return new AppError(
    'plan_limit_reached',
    `Your plan allows at most ${maximum} ${WHAT[limit]} (you have ${current}); ` +
      'remove one or move to a larger plan to add more.',
    { details: [{ path: limit, message: `${limit} is ${maximum}`, limit, current, maximum }] },
  );
}
