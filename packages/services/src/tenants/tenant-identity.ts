import type { Prisma } from '@paddock/db';

/** Who is calling a tenant route: resolved from an API key, carried on the request, scoping every query. */
export interface TenantIdentity {
  tenantId: string;
  tenantStatus: 'provisioning' | 'provisioning_failed' | 'active' | 'suspended' | 'deleting' | 'deleted';
  apiKeyId: string;
  apiKeyPrefix: string;
  /** The user who created the key (the owner for the signup key). */
  userId: string | null;
}

/** Request facts an audit row keeps (never bodies: they may hold secrets). */
export interface RequestFacts {
  ipAddress?: string | undefined;
  requestId?: string | undefined;
}

/** An audit row for something a tenant's API key did. */
export function tenantAuditEntry(
  actor: TenantIdentity,
  action: string,
  target: { type: string; id: string },
  details: Prisma.InputJsonObject,
  request: RequestFacts = {},
): Prisma.AuditLogCreateInput {
  return {
    tenantId: actor.tenantId,
    actorType: 'api_key',
    actorId: actor.apiKeyId,
    actorLabel: actor.apiKeyPrefix,
    action,
    targetType: target.type,
    targetId: target.id,
    details,
    ipAddress: request.ipAddress?.slice(0, 64) ?? null,
    requestId: request.requestId?.slice(0, 128) ?? null,
  };
}
