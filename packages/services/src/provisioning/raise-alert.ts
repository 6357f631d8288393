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

/** Opens an alert for operators, or bumps the open one with the same key (newest message kept). */
export async function raiseAlert(prisma: PrismaClient, input: AlertInput): Promise<void> {
  const bumped = await prisma.alert.updateMany({
    where: { dedupeKey: input.dedupeKey, status: { in: ['open', 'acknowledged'] } },
    data: {
      occurrences: { increment: 1 },
      lastSeenAt: new Date(),
      message: input.message,
      ...(input.details ? { details: input.details } : {}),
    },
  });
  if (bumped.count > 0) return;
  await prisma.alert.create({
    data: {
      tenantId: input.tenantId ?? null,
      boxId: input.boxId ?? null,
      severity: input.severity,
      code: input.code,
      message: input.message,
      details: input.details ?? {},
      dedupeKey: input.dedupeKey,
    },
  });
}

/** The condition is over (e.g. the retried provisioning succeeded): its open alerts are resolved. */
export async function resolveAlerts(prisma: PrismaClient, dedupeKey: string): Promise<void> {
  await prisma.alert.updateMany({
    where: { dedupeKey, status: { in: ['open', 'acknowledged'] } },
    data: { status: 'resolved', resolvedAt: new Date() },
  });
}
