import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import { apiKeyPrefix, hashToken } from '@paddock/vault';
import type { TenantIdentity } from './tenant-identity';

// lastUsedAt is for people ("is this key still in use?"), not an access log: one write a minute per key at most,
// so a busy key does not turn every read into a write.
const LAST_USED_RESOLUTION_MS = 60_000;

const REFUSED = 'The API key is missing, unknown, expired or revoked.';

/** The tenant an API key acts for, or `unauthenticated` (malformed, unknown, revoked, expired, operator key...). */
export async function authenticateTenantApiKey(prisma: PrismaClient, key: string): Promise<TenantIdentity> {
  // Garbage never reaches the database.
  if (!apiKeyPrefix(key)) throw new AppError('unauthenticated', REFUSED);
  const row = await prisma.apiKey.findUnique({
    where: { keyHash: hashToken(key) },
    select: {
      id: true,
      prefix: true,
      userId: true,
      tenantId: true,
      revokedAt: true,
      expiresAt: true,
      lastUsedAt: true,
      tenant: { select: { status: true } },
    },
  });
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
  };
}
