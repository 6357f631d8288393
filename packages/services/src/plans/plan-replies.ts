import { StoredPlanLimitsSchema, type PlanReply } from '@paddock/contracts';
import type { Plan } from '@paddock/db';

export const PLAN_TENANT_COUNT = { _count: { select: { tenants: { where: { deletedAt: null } } } } } as const;

export function toPlanReply(plan: Plan & { _count: { tenants: number } }): PlanReply {
  return {
    id: plan.id,
    code: plan.code,
    name: plan.name,
    description: plan.description,
    priceMinor: plan.priceMinor,
    currency: plan.currency,
    provider: plan.provider,
    serverType: plan.serverType,
    region: plan.region,
    includedUsageMicros: Number(plan.includedUsageMicros),
    usageMarkupBps: plan.usageMarkupBps,
    boxHourMarkupBps: plan.boxHourMarkupBps,
    // Stored limits are read leniently (keys of another version dropped), as the enforcement reads them.
    limits: StoredPlanLimitsSchema.parse(plan.limits ?? {}),
    active: plan.active,
    sortOrder: plan.sortOrder,
    tenants: plan._count.tenants,
    createdAt: plan.createdAt.toISOString(),
    updatedAt: plan.updatedAt.toISOString(),
  };
}
