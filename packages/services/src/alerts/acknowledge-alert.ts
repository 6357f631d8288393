import { AppError, type OperatorAlert, TENANT_ALERT_CODES, type TenantAlert } from '@paddock/contracts';
import type { Prisma, PrismaClient } from '@paddock/db';
import { alertView } from './list-alerts';
import type { ServiceClients } from '../clients';

/**
 * Acknowledging says "someone is on it": the alert stays unresolved (so the same condition still bumps it rather
 * than opening another) until its signal returns to normal or it is resolved. Acknowledging twice, or an alert
 * already resolved, changes nothing and answers the alert as it is.
 */
export async function acknowledgeTenantAlert(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  alertId: string,
  userId: string | null,
): Promise<TenantAlert> {
  // The tenant and the codes tenants may read are in the where: another tenant's alert, or an operators' alert
  // about this tenant's box, is a 404 exactly as if it did not exist.
  const { tenantId: _tenant, ...alert } = await acknowledge(
    prisma,
    { id: alertId, tenantId, code: { in: [...TENANT_ALERT_CODES] } },
    userId,
  );
  return alert;
}

export function acknowledgeOperatorAlert(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  alertId: string,
  userId: string | null,
): Promise<OperatorAlert> {
  return acknowledge(prisma, { id: alertId }, userId);
}

async function acknowledge(
  prisma: PrismaClient,
  where: Prisma.AlertWhereInput,
  userId: string | null,
): Promise<OperatorAlert> {
  await prisma.alert.updateMany({
    where: { ...where, status: 'open' },
    data: { status: 'acknowledged', acknowledgedAt: new Date(), acknowledgedByUserId: userId },
  });
  const row = await prisma.alert.findFirst({ where });
  if (!row) throw new AppError('not_found', 'No such alert.');
  return alertView(row);
}
