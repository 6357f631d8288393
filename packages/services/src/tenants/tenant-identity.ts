import type { Prisma } from '@paddock/db';
import { auditRow, type RequestFacts } from '../audit/audit-entry';

export type { RequestFacts } from '../audit/audit-entry';

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
  /**
   * What the caller may do in the workspace: a session's member role, or the role of the person a key belongs to
   * (`admin` for a key that belongs to nobody). A `viewer` reads and changes nothing.
   */
  memberRole: MemberRoleName;
}

export type MemberRoleName = 'owner' | 'admin' | 'member' | 'viewer';

/** How audit rows and boxes name the caller: the user's email for a session, the key's prefix for an API key. */
export function tenantActorLabel(actor: TenantIdentity): string {
  return actor.credential.kind === 'session' ? actor.credential.userEmail : actor.credential.prefix;
}

/** An audit row for something a tenant's API key or user session did (built by the one audit helper). */
export function tenantAuditEntry(
  actor: TenantIdentity,
  action: string,
  target: { type: string; id: string },
  details: Prisma.InputJsonObject,
  request: RequestFacts = {},
  change: { before?: Prisma.InputJsonValue; after?: Prisma.InputJsonValue } = {},
): Prisma.AuditLogUncheckedCreateInput {
  return auditRow({
    actor: tenantAuditActor(actor),
    action,
    tenantId: actor.tenantId,
    target,
    details,
    request,
    ...change,
  });
}

/** The tenant caller as audit rows name them: the session's user by email, a key by its prefix. */
export function tenantAuditActor(actor: TenantIdentity) {
  const credential = actor.credential;
  if (credential.kind === 'api_key')
    return { type: 'api_key', id: credential.apiKeyId, label: credential.prefix } as const;
  // A session always has its user.
  return { type: 'user', id: actor.userId ?? credential.sessionId, label: credential.userEmail } as const;
}
