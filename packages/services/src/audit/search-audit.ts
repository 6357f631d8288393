import { AppError, type AuditEntry, type AuditQuery } from '@paddock/contracts';
import type { Prisma } from '@paddock/db';
import type { ServiceClients } from '../clients';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The audit log, newest first, filtered by actor, tenant, action (exact or a `prefix.`), target and time range, in
 * pages cut by id (a keyset cursor: rows written while someone pages never shift or repeat a page).
 */
export async function searchAudit(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  query: AuditQuery,
): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
  const where: Prisma.AuditLogWhereInput = {};
  if (query.cursor !== undefined) {
    if (!/^[0-9]{1,19}$/.test(query.cursor)) {
      throw new AppError('validation_failed', 'The cursor is not one this API gave out.', {
        details: [{ path: 'query.cursor', message: 'must be a nextCursor from a previous page' }],
      });
    }
    where.id = { lt: BigInt(query.cursor) };
  }
  if (query.actor !== undefined) {
    if (UUID.test(query.actor)) where.actorId = query.actor.toLowerCase();
    else where.actorLabel = query.actor;
  }
  if (query.tenantId !== undefined) where.tenantId = query.tenantId;
  if (query.action !== undefined) {
    where.action = query.action.endsWith('.') ? { startsWith: query.action } : query.action;
  }
  if (query.targetType !== undefined) where.targetType = query.targetType;
  if (query.targetId !== undefined) where.targetId = query.targetId;
  if (query.from !== undefined || query.to !== undefined) {
    where.createdAt = {
      ...(query.from ? { gte: new Date(query.from) } : {}),
      ...(query.to ? { lt: new Date(query.to) } : {}),
    };
  }
  const rows = await prisma.auditLog.findMany({ where, orderBy: { id: 'desc' }, take: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    entries: page.map((row) => ({
      id: row.id.toString(),
      at: row.createdAt.toISOString(),
      tenantId: row.tenantId,
      actor: { type: row.actorType, id: row.actorId, label: row.actorLabel },
      action: row.action,
      target: { type: row.targetType, id: row.targetId },
      details: row.details,
      before: row.before,
      after: row.after,
      ipAddress: row.ipAddress,
      userAgent: row.userAgent,
      requestId: row.requestId,
    })),
    nextCursor: rows.length > query.limit && last ? last.id.toString() : null,
  };
}
