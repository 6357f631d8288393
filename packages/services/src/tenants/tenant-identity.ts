import type { Prisma } from '@paddock/db';

/** The credential a tenant request came with: a workspace API key, or a user's login session. */
export type TenantCredential =
  | { kind: 'api_key'; apiKeyId: string; prefix: string }
  | { kind: 'session'; sessionId: string; userEmail: string; expiresAt: Date };

/**
 * Who is calling a tenant route: resolved from an API key or a user session, carried on the request, scoping every
 * query. Both kinds scope exactly alike: only `tenantId` decides what the caller may see.
 */
export interface TenantIdentity {
  tenantId: string;
  tenantStatus: 'provisioning' | 'provisioning_failed' | 'active' | 'suspended' | 'deleting' | 'deleted';
  credential: TenantCredential;
  /** The API key used, or null when the caller used a session (rows record which key acted, if any). */
  apiKeyId: string | null;
  apiKeyPrefix: string | null;
  /** The person acting: the session's user, or the user who created the key (the owner for the signup key). */
  userId: string | null;
}

/** Request facts an audit row keeps (never bodies: they may hold secrets). */
export interface RequestFacts {
  ipAddress?: string | undefined;
  requestId?: string | undefined;
}

/** How audit rows and boxes name the caller: the user's email for a session, the key's prefix for an API key. */
export function tenantActorLabel(actor: TenantIdentity): string {
  return actor.credential.kind === 'session' ? actor.credential.userEmail : actor.credential.prefix;
}

/** An audit row for something a tenant's API key or user session did. */
export function tenantAuditEntry(
  actor: TenantIdentity,
  action: string,
  target: { type: string; id: string },
  details: Prisma.InputJsonObject,
  request: RequestFacts = {},
): Prisma.AuditLogCreateInput {
  const credential = actor.credential;
  return {
    tenantId: actor.tenantId,
    ...(credential.kind === 'session'
      ? { actorType: 'user', actorId: actor.userId, actorLabel: credential.userEmail }
      : { actorType: 'api_key', actorId: credential.apiKeyId, actorLabel: credential.prefix }),
    action,
    targetType: target.type,
    targetId: target.id,
    details,
    ipAddress: request.ipAddress?.slice(0, 64) ?? null,
    requestId: request.requestId?.slice(0, 128) ?? null,
  };
}
