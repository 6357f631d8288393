import type { SpendCap } from '@paddock/contracts';
import type { Prisma } from '@paddock/db';
import type { BillingPeriod } from './billing-period';

/**
 * Raises the month's spend-cap warnings for operators: one alert at the cap's `warnAtPercent`, one at 100%, each at
 * most once per tenant and period (the dedupe key names both; a resolved one is not raised again that month). Runs
 * under the tenant's plan-limits lock, so two concurrent starts cannot both insert it.
 */
export async function raiseSpendCapAlerts(
  { prisma: tx }: { prisma: Prisma.TransactionClient },
  input: { tenantId: string; period: BillingPeriod; cap: SpendCap; spentMicros: bigint },
): Promise<void> {
  const { cap, spentMicros, tenantId, period } = input;
  if (cap.monthlyMicros <= 0) return;
  const cap100 = BigInt(cap.monthlyMicros);
  const levels = [
    { percent: cap.warnAtPercent, reached: spentMicros * 100n >= cap100 * BigInt(cap.warnAtPercent) },
    { percent: 100, reached: spentMicros >= cap100 },
  ];
  for (const level of levels) {
    if (!level.reached) continue;
    const dedupeKey = `spend_cap:${tenantId}:${period.label}:${level.percent}`;
    const full = level.percent === 100;
    const message = full
      ? `The ${cap.mode} monthly spend cap is reached for ${period.label}: ${spentMicros} of ${cap.monthlyMicros} micros` +
        (cap.mode === 'hard' ? ' (new runs are refused).' : ' (runs still accepted: the cap is soft).')
      : `${level.percent}% of the ${cap.mode} monthly spend cap is spent for ${period.label}: ` +
        `${spentMicros} of ${cap.monthlyMicros} micros.`;
    const details = {
      period: period.label,
      percent: level.percent,
      mode: cap.mode,
      spentMicros: spentMicros.toString(),
      capMicros: String(cap.monthlyMicros),
    };
    await tx.$executeRaw`
      INSERT INTO alerts (tenant_id, severity, code, message, details, dedupe_key)
      SELECT ${tenantId}::uuid, ${full ? 'critical' : 'warning'}::alert_severity,
             ${full ? 'spend_cap_reached' : 'spend_cap_warning'}, ${message}, ${JSON.stringify(details)}::jsonb,
             ${dedupeKey}
       WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE dedupe_key = ${dedupeKey})`;
  }
}
