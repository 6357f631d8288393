import { type OperatorAlert, TENANT_ALERT_CODES } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import { enqueueJob, type Queues, createPrismaJobRecords } from '@paddock/jobs';

export type AlertEvent = 'alert.opened' | 'alert.resolved';

const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;
const TENANT_CODES: ReadonlySet<string> = new Set(TENANT_ALERT_CODES);

/**
 * Records one delivery per alert and matching endpoint (the tenant's own endpoints for alerts its tenants may read,
 * the operators' for every alert), then queues a `webhooks.deliver` job per delivery, keyed by the delivery's id so
 * queueing twice sends once. Endpoints that are disabled, set to a daily digest or above the alert's severity get
 * nothing now. A tenant endpoint never receives an alert tenants may not read (operators' box and host-key alerts).
 */
export async function queueAlertDeliveries(
  deps: { prisma: PrismaClient; queues: Queues },
  event: AlertEvent,
  alerts: readonly OperatorAlert[],
): Promise<string[]> {
  if (alerts.length === 0) return [];
  const tenantIds = [...new Set(alerts.map((a) => a.tenantId).filter((id): id is string => id !== null))];
  const endpoints = await deps.prisma.webhookEndpoint.findMany({
    where: { disabledAt: null, digest: false, OR: [{ tenantId: null }, { tenantId: { in: tenantIds } }] },
    select: { id: true, tenantId: true, minSeverity: true },
  });
  const rows: Array<{ endpointId: string; tenantId: string | null; alertId: string; payload: object }> = [];
  for (const alert of alerts) {
    for (const endpoint of endpoints) {
      if (SEVERITY_RANK[alert.severity] < SEVERITY_RANK[endpoint.minSeverity]) continue;
      if (endpoint.tenantId !== null) {
        if (endpoint.tenantId !== alert.tenantId || !TENANT_CODES.has(alert.code)) continue;
      }
      const { tenantId: _hidden, ...tenantView } = alert;
      rows.push({
        endpointId: endpoint.id,
        tenantId: alert.tenantId,
        alertId: alert.id,
        payload: { type: event, alert: endpoint.tenantId === null ? alert : tenantView },
      });
    }
  }
  if (rows.length === 0) return [];
  const created = await deps.prisma.webhookDelivery.createManyAndReturn({
    data: rows.map((row) => ({ ...row, event })),
    select: { id: true, tenantId: true },
  });
  const records = createPrismaJobRecords(deps.prisma);
  for (const delivery of created) {
    await enqueueJob(
      { queues: deps.queues, records },
      'webhooks.deliver',
      { deliveryId: delivery.id },
      { jobId: `webhook-${delivery.id}`, ...(delivery.tenantId ? { tenantId: delivery.tenantId } : {}) },
    );
  }
  return created.map((d) => d.id);
}
