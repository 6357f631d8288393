import { AppError } from '@paddock/contracts';
import { apiKeyPrefix, hashToken } from '@paddock/vault';
import type { TenantIdentity } from './tenant-identity';
import type { ServiceClients } from '../clients';

// lastUsedAt is for people ("is this key still in use?"), not an access log: one write a minute per key at most,
// so a busy key does not turn every read into a write.
const LAST_USED_RESOLUTION_MS = 60_000;

const REFUSED = 'The API key is missing, unknown, expired or revoked.';

interface KeyRow {
  id: string;
  prefix: string;
  userId: string | null;
  tenantId: string | null;
  revokedAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  tenantStatus: TenantIdentity['tenantStatus'] | null;
  userRole: string | null;
}

/** The tenant an API key acts for, or `unauthenticated` (malformed, unknown, revoked, expired, operator key...). */
export async function authenticateTenantApiKey(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  key: string,
): Promise<TenantIdentity> {
  // Garbage never reaches the database.
  if (!apiKeyPrefix(key)) throw new AppError('unauthenticated', REFUSED);
  // One joined read: this runs before every tenant request (Prisma would read the tenant in a second query).
  const rows = await prisma.$queryRaw<KeyRow[]>`
    SELECT k.id, k.prefix, k.user_id AS "userId", k.tenant_id AS "tenantId", k.revoked_at AS "revokedAt",
           k.expires_at AS "expiresAt", k.last_used_at AS "lastUsedAt", t.status::text AS "tenantStatus",
           u.role::text AS "userRole"
      FROM api_keys k LEFT JOIN tenants t ON t.id = k.tenant_id
      LEFT JOIN users u ON u.id = k.user_id AND u.tenant_id = k.tenant_id
     WHERE k.key_hash = ${hashToken(key)}`;
  const found = rows[0];
  const row = found?.tenantStatus ? { ...found, tenant: { status: found.tenantStatus } } : undefined;
  const now = new Date();
  if (!row?.tenantId || !row.tenant || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) {
    throw new AppError('unauthenticated', REFUSED);
  }
  if (row.tenant.status === 'deleting' || row.tenant.status === 'deleted') {
    throw new AppError('unauthenticated', 'This workspace has been deleted; its API keys no longer work.');
  }
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: now }, select: { id: true } });
  }
  return {
    tenantId: row.tenantId,
    tenantStatus: row.tenant.status,
    credential: { kind: 'api_key', apiKeyId: row.id, prefix: row.prefix },
    apiKeyId: row.id,
    apiKeyPrefix: row.prefix,
    userId: row.userId,
    memberRole: keyRole(row.userRole),
  };
}

/** A key acts with its person's role (a viewer's key reads only); a key that belongs to nobody is the workspace's. */
function keyRole(role: string | null): TenantIdentity['memberRole'] {
  return role === 'owner' || role === 'member' || role === 'viewer' ? role : 'admin';
}
