import { AppError } from '@paddock/contracts';
import { limitReached, lockTenantPlan } from '../tenants/plan-limits';
import { billingPeriodOf } from './billing-period';
import { periodSpendMicros } from './period-spend';
import type { ServiceClients } from '../clients';

/**
 * A replay spends again and makes a finished run active again: judged like a start (hard spend cap, concurrent runs
 * not counting the run itself). Unlike a start it writes no row the next judgement would count (the run turns active
 * only when the collector projects its `replayed` event), so two replays at the same instant may both pass: the
 * box's own cap and the next start's count still hold.
 */
export async function admitReopen(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  runId: string,
): Promise<void> {
  const period = billingPeriodOf(new Date());
  const refusal = await prisma.$transaction(async (tx) => {
    const { limits } = await lockTenantPlan({ prisma: tx }, tenantId);
    const max = limits.maxConcurrentRuns;
    if (max !== undefined) {
      const [row] = await tx.$queryRaw<Array<{ active: number; self_active: boolean }>>`
        SELECT count(*) FILTER (WHERE id <> ${runId}::uuid)::int AS active,
               bool_or(id = ${runId}::uuid) AS self_active
          FROM runs WHERE tenant_id = ${tenantId}::uuid AND status IN ('queued', 'running', 'waiting_decision')`;
      const active = row?.active ?? 0;
      if (!row?.self_active && active >= max) throw limitReached('maxConcurrentRuns', active, max);
    }
    const cap = limits.spendCap;
    if (cap?.mode !== 'hard') return undefined;
    const spent = await periodSpendMicros({ prisma: tx }, tenantId, period);
    return spent >= BigInt(cap.monthlyMicros) ? { spent, cap: cap.monthlyMicros } : undefined;
  });
  if (refusal) {
    throw new AppError(
      'spend_cap_reached',
      `This workspace has spent ${refusal.spent} of its ${refusal.cap} micros monthly spend cap for ${period.label}: ` +
        'runs cannot be replayed until next month or a larger cap.',
      {
        details: [
          {
            path: 'spendCap',
            message: `the ${period.label} spend cap is reached`,
            limit: 'spendCap',
            current: Number(refusal.spent),
            maximum: refusal.cap,
            period: period.label,
          },
        ],
      },
    );
  }
}
