import type { Prisma, PrismaClient } from '@paddock/db';

export interface AlertInput {
  tenantId?: string | null;
  boxId?: string | null;
  severity: 'info' | 'warning' | 'critical';
  code: string;
  message: string;
  details?: Prisma.InputJsonObject;
  /** While an alert with this key is open, the same condition bumps its count instead of adding a row. */
  dedupeKey: string;
}

/** A client or a transaction: alerts are often raised in the transaction that records their cause. */
export type AlertWriter = Pick<PrismaClient, '$queryRaw' | 'alert'>;

/**
 * Opens an alert for operators, or bumps the open one with the same key (newest message kept). One statement on the
 * partial unique index `alerts_one_open_per_dedupe_key`, so processes raising the same condition at once (the API and
 * two workers meeting the same changed host key) still make one row. Resolves true when this call opened it.
 */
export async function raiseAlert({ prisma }: { prisma: AlertWriter }, input: AlertInput): Promise<boolean> {
  const details = input.details === undefined ? null : JSON.stringify(input.details);
  const rows = await prisma.$queryRaw<{ opened: boolean }[]>`
    INSERT INTO alerts (tenant_id, box_id, severity, code, message, details, dedupe_key)
    VALUES (${input.tenantId ?? null}::uuid, ${input.boxId ?? null}::uuid, ${input.severity}::alert_severity,
            ${input.code}, ${input.message}, COALESCE(${details}::jsonb, '{}'::jsonb), ${input.dedupeKey})
    ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL AND status <> 'resolved'
    DO UPDATE SET occurrences = alerts.occurrences + 1, last_seen_at = now(), message = EXCLUDED.message,
                  details = CASE WHEN ${details}::jsonb IS NULL THEN alerts.details ELSE EXCLUDED.details END
    RETURNING (xmax = 0) AS opened`;
  return rows[0]?.opened === true;
}

/** The condition is over (e.g. the retried provisioning succeeded): its open alerts are resolved. */
export async function resolveAlerts(
  { prisma }: { prisma: Pick<PrismaClient, 'alert'> },
  dedupeKey: string,
): Promise<number> {
  const resolved = await prisma.alert.updateMany({
    where: { dedupeKey, status: { in: ['open', 'acknowledged'] } },
    data: { status: 'resolved', resolvedAt: new Date() },
  });
  return resolved.count;
}
