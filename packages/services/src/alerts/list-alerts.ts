import { TENANT_ALERT_CODES, type OperatorAlert, type TenantAlert } from '@paddock/contracts';
import type { Alert as AlertRow, Prisma, PrismaClient } from '@paddock/db';
import { decodeCreatedAtCursor, encodeCreatedAtCursor } from '../pagination/created-at-cursor';
import type { ServiceClients } from '../clients';

type AlertStatus = 'open' | 'acknowledged' | 'resolved';

interface Page {
  status?: AlertStatus | undefined;
  limit: number;
  /** The previous page's `nextCursor`. */
  cursor?: string | undefined;
}

export interface ListOperatorAlertsInput extends Page {
  tenantId?: string | undefined;
  boxId?: string | undefined;
  code?: string | undefined;
}

/**
 * A workspace's alerts, newest first. The tenant id is in the `where` (never checked after the fetch), and only the
 * codes meant for tenants are read (TENANT_ALERT_CODES): another tenant's alert, or an operator's alert about this
 * tenant's box, never appears.
 */
export async function listTenantAlerts(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  input: Page,
): Promise<{ alerts: TenantAlert[]; nextCursor: string | null }> {
  const { alerts, nextCursor } = await listAlerts(prisma, { tenantId, code: { in: [...TENANT_ALERT_CODES] } }, input);
  return { alerts: alerts.map(({ tenantId: _tenant, ...alert }) => alert), nextCursor };
}

/** Every alert, for operators, filtered by status, tenant, box and code; newest first. */
export function listOperatorAlerts(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  input: ListOperatorAlertsInput,
): Promise<{ alerts: OperatorAlert[]; nextCursor: string | null }> {
  return listAlerts(
    prisma,
    {
      ...(input.tenantId ? { tenantId: input.tenantId } : {}),
      ...(input.boxId ? { boxId: input.boxId } : {}),
      ...(input.code ? { code: input.code } : {}),
    },
    input,
  );
}

/** Keyset pages over (created_at, id), newest first: stable while new alerts arrive. */
async function listAlerts(
  prisma: PrismaClient,
  scope: Prisma.AlertWhereInput,
  page: Page,
): Promise<{ alerts: OperatorAlert[]; nextCursor: string | null }> {
  const after = page.cursor ? decodeCreatedAtCursor(page.cursor) : undefined;
  const rows = await prisma.alert.findMany({
    where: {
      ...scope,
      ...(page.status ? { status: page.status } : {}),
      ...(after
        ? {
            OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }],
          }
        : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: page.limit + 1,
  });
  const shown = rows.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    alerts: shown.map(alertView),
    nextCursor: rows.length > page.limit && last ? encodeCreatedAtCursor(last.createdAt, last.id) : null,
  };
}

/** The API's view of an alert row (operators'; tenants' drop tenantId). */
export function alertView(row: AlertRow): OperatorAlert {
  return {
    id: row.id,
    tenantId: row.tenantId,
    boxId: row.boxId,
    severity: row.severity,
    code: row.code,
    message: row.message,
    details: (row.details ?? {}) as Record<string, unknown>,
    scope: (row.scope ?? {}) as Record<string, string>,
    evidence: (row.evidence ?? []) as Array<Record<string, unknown>>,
    status: row.status,
    occurrences: row.occurrences,
    createdAt: row.createdAt.toISOString(),
    lastSeenAt: row.lastSeenAt.toISOString(),
    acknowledgedAt: row.acknowledgedAt?.toISOString() ?? null,
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
  };
}
