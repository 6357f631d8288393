import { AppError, type BoxCaps, type RunStatus } from '@paddock/contracts';
import type { Prisma } from '@paddock/db';
import { limitReached, lockTenantPlan } from '../tenants/plan-limits';
import { billingPeriodOf } from './billing-period';
import { boxCapsFor } from './box-caps';
import { periodSpendMicros } from './period-spend';
import { raiseSpendCapAlerts } from './spend-cap-alerts';
import type { ServiceClients } from '../clients';

const ADMISSION_TX = { maxWait: 30_000, timeout: 30_000 } as const;

/** Statuses of a run that holds one of the plan's concurrent-run slots (the rest are final). */
export const ACTIVE_RUN_STATUSES = ['queued', 'running', 'waiting_decision'] as const satisfies readonly RunStatus[];

/**
 * Admits a new run against the tenant's plan and inserts its row, in one transaction under the tenant's plan-limits
 * lock: concurrent starts are judged one at a time, each counting the rows the earlier ones inserted, so at most
 * `maxConcurrentRuns` are ever active, and a refused start leaves no row. Active runs are counted from the `runs`
 * table (the collector's projection moves them to their final status).
 *
 * Spend caps: a soft cap raises its warnings (once per month) and admits; a hard cap at or past the month's spend
 * refuses with `spend_cap_reached` (its alert is kept: it commits before the refusal is thrown). Returns the caps the
 * box is to hold for this and later runs.
 */
export async function admitRun(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  input: { tenantId: string; boxId: string },
  insert: (tx: Prisma.TransactionClient) => Promise<void>,
): Promise<BoxCaps> {
  const now = new Date();
  const period = billingPeriodOf(now);
  type Outcome = { kind: 'refused'; spent: bigint; cap: number } | { kind: 'admitted'; caps: BoxCaps };
  const outcome = await prisma.$transaction(async (tx): Promise<Outcome> => {
    const { limits } = await lockTenantPlan({ prisma: tx }, input.tenantId);
    const max = limits.maxConcurrentRuns;
    if (max !== undefined) {
      const [row] = await tx.$queryRaw<Array<{ active: number }>>`
        SELECT count(*)::int AS active FROM runs
         WHERE tenant_id = ${input.tenantId}::uuid AND status IN ('queued', 'running', 'waiting_decision')`;
      const active = row?.active ?? 0;
      if (active >= max) throw limitReached('maxConcurrentRuns', active, max);
    }
    const cap = limits.spendCap;
    if (cap) {
      const spent = await periodSpendMicros({ prisma: tx }, input.tenantId, period);
      await raiseSpendCapAlerts({ prisma: tx }, { tenantId: input.tenantId, period, cap, spentMicros: spent });
      if (cap.mode === 'hard' && spent >= BigInt(cap.monthlyMicros)) {
        return { kind: 'refused', spent, cap: cap.monthlyMicros };
      }
    }
    await insert(tx);
    return { kind: 'admitted', caps: await boxCapsFor({ prisma: tx }, { ...input, limits, period, now }) };
    // A burst of starts queues on the tenant's lock, each holding a pooled connection while it waits: the defaults
    // (2 s to get a connection, 5 s in all) would fail the back of a 50-start burst on a loaded machine with a 500.
  }, ADMISSION_TX);
  if (outcome.kind === 'refused') {
    const { spent, cap } = outcome;
    throw new AppError(
      'spend_cap_reached',
      `This workspace has spent ${spent} of its ${cap} micros monthly spend cap for ${period.label}: ` +
        'new runs are refused until next month or a larger cap.',
      {
        details: [
          {
            path: 'spendCap',
            message: `the ${period.label} spend cap is reached`,
            limit: 'spendCap',
            current: Number(spent),
            maximum: cap,
            period: period.label,
          },
        ],
      },
    );
  }
  return outcome.caps;
}
