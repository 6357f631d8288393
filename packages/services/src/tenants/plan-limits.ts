import { AppError } from '@paddock/contracts';
import type { Prisma } from '@paddock/db';
import { z } from 'zod';

// Plans carry soft limits as JSON (seeded: maxChains, maxConcurrentRuns, maxSecrets); a missing one is no limit.
const PlanLimitsSchema = z
  .object({
    maxChains: z.number().int().nonnegative().optional(),
    maxSecrets: z.number().int().nonnegative().optional(),
    maxConcurrentRuns: z.number().int().nonnegative().optional(),
  })
  .catchall(z.unknown());
export type PlanLimits = z.infer<typeof PlanLimitsSchema>;

/**
 * The tenant's plan limits, read under a per-tenant advisory lock held until the transaction ends: two concurrent
 * creations cannot both see room for one more (count-then-insert is only safe when serialized).
 */
export async function lockPlanLimits(tx: Prisma.TransactionClient, tenantId: string): Promise<PlanLimits> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('paddock:plan-limits'), hashtext(${tenantId}))`;
  const [row] = await tx.$queryRaw<Array<{ limits: unknown }>>`
    SELECT p.limits FROM tenants t JOIN plans p ON p.id = t.plan_id WHERE t.id = ${tenantId}::uuid`;
  const parsed = PlanLimitsSchema.safeParse(row?.limits ?? {});
  if (!parsed.success) {
    throw new AppError('internal', `the plan of tenant ${tenantId} has malformed limits`, { cause: parsed.error });
  }
  return parsed.data;
}

export function limitReached(what: string, limit: number): AppError {
  return new AppError(
    'forbidden',
    `Your plan allows at most ${limit} ${what}; remove one or move to a larger plan to add more.`,
  );
}
