import type { Prisma, PrismaClient } from '@paddock/db';
import { enqueueJob, type Queues, createPrismaJobRecords } from '@paddock/jobs';
import { TENANT_ALERT_CODES } from '@paddock/contracts';
import { alertView } from '../alerts/list-alerts';

const DAY_MS = 86_400_000;
const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;
/** A digest lists at most this many alerts (the newest); `more` says how many it left out. */
const DIGEST_MAX_ALERTS = 200;

/**
 * The daily digest (`webhooks.digest`, hourly by a job scheduler): every enabled digest endpoint whose last digest
 * is a day old gets one delivery listing the alerts opened since (its tenant's readable alerts, or all for an
 * operators' endpoint). The endpoint's `last_digest_at` moves in the transaction that records the delivery, under
 * a row lock, so two workers running the job at once send one digest.
 */
export async function sendDigests(deps: { prisma: PrismaClient; queues: Queues }, now = new Date()): Promise<number> {
  const due = await deps.prisma.webhookEndpoint.findMany({
    where: {
      digest: true,
      disabledAt: null,
      OR: [{ lastDigestAt: null }, { lastDigestAt: { lte: new Date(now.getTime() - DAY_MS) } }],
    },
    select: { id: true },
  });
  const records = createPrismaJobRecords(deps.prisma);
  let sent = 0;
  for (const { id } of due) {
    const deliveryId = await deps.prisma.$transaction(async (tx) => {
      const [endpoint] = await tx.$queryRaw<
        Array<{
          id: string;
          tenant_id: string | null;
          last_digest_at: Date | null;
          created_at: Date;
          min_severity: 'info' | 'warning' | 'critical';
        }>
      >`SELECT id, tenant_id, last_digest_at, created_at, min_severity FROM webhook_endpoints
         WHERE id = ${id}::uuid AND digest AND disabled_at IS NULL FOR UPDATE`;
      if (!endpoint) return null;
      // The first digest covers the day before it, like every later one.
      const since = endpoint.last_digest_at ?? new Date(now.getTime() - DAY_MS);
      if (now.getTime() - since.getTime() < DAY_MS && endpoint.last_digest_at) return null;
      const alerts = await tx.alert.findMany({
        where: {
          createdAt: { gte: since, lt: now },
          ...(endpoint.tenant_id ? { tenantId: endpoint.tenant_id, code: { in: [...TENANT_ALERT_CODES] } } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: 10_000,
      });
      const shown = alerts.filter((a) => SEVERITY_RANK[a.severity] >= SEVERITY_RANK[endpoint.min_severity]);
      await tx.webhookEndpoint.update({ where: { id }, data: { lastDigestAt: now } });
      const delivery = await tx.webhookDelivery.create({
        data: {
          endpointId: id,
          tenantId: endpoint.tenant_id,
          event: 'digest',
          payload: {
            type: 'digest',
            from: since.toISOString(),
            to: now.toISOString(),
            alerts: shown.slice(0, DIGEST_MAX_ALERTS).map((row) => {
              const view = alertView(row);
              if (!endpoint.tenant_id) return view;
              const { tenantId: _hidden, ...tenantView } = view;
              return tenantView;
            }),
            more: Math.max(0, shown.length - DIGEST_MAX_ALERTS),
          } as Prisma.InputJsonObject,
        },
      });
      return delivery.id;
    });
    if (!deliveryId) continue;
    await enqueueJob(
      { queues: deps.queues, records },
      'webhooks.deliver',
      { deliveryId },
      { jobId: `webhook-${deliveryId}` },
    );
    sent++;
  }
  return sent;
}
