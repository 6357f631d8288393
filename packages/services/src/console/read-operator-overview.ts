import type { OperatorOverviewReply } from '@paddock/contracts';
import { readMonthSpend } from './read-month-spend';
import type { ServiceClients } from '../clients';

const IN_PROGRESS = ['pending', 'running', 'paused', 'rolling_back'] as const;

/**
 * The operator overview's figures (and this month's spend, `read-month-spend.ts`). Each is a GROUP BY over an indexed status column (tenants, boxes, alerts), so the
 * page stays one fast read with 10,000 tenants; nothing is loaded row by row.
 */
export async function readOperatorOverview({ prisma }: Pick<ServiceClients, 'prisma'>): Promise<OperatorOverviewReply> {
  const [tenants, boxes, alerts, rollouts, spendThisMonth] = await Promise.all([
    prisma.tenant.groupBy({ by: ['status'], _count: { _all: true } }),
    prisma.box.groupBy({ by: ['status'], where: { status: { not: 'destroyed' } }, _count: { _all: true } }),
    prisma.alert.groupBy({ by: ['severity'], where: { status: 'open' }, _count: { _all: true } }),
    prisma.rollout.findMany({
      where: { status: { in: [...IN_PROGRESS] } },
      orderBy: { createdAt: 'desc' },
      take: 20,
      include: { release: { select: { version: true } } },
    }),
    readMonthSpend({ prisma }),
  ]);
  return {
    tenantsByStatus: Object.fromEntries(tenants.map((row) => [row.status, row._count._all])),
    boxesByStatus: Object.fromEntries(boxes.map((row) => [row.status, row._count._all])),
    openAlertsBySeverity: Object.fromEntries(alerts.map((row) => [row.severity, row._count._all])),
    spendThisMonth,
    rolloutsInProgress: rollouts.map((rollout) => ({
      id: rollout.id,
      status: rollout.status,
      releaseVersion: rollout.release.version,
      totalBoxes: rollout.totalBoxes,
      succeededBoxes: rollout.succeededBoxes,
      failedBoxes: rollout.failedBoxes,
      createdAt: rollout.createdAt.toISOString(),
    })),
  };
}
