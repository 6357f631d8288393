import { AppError } from '@paddock/contracts';
import type { Prisma } from '@paddock/db';
import { generateApiKey } from '@paddock/vault';
import { type RequestFacts, writeAudit } from '../audit/audit-entry';
import { type TenantIdentity, tenantAuditActor } from './tenant-identity';
import type { ServiceClients } from '../clients';

/**
 * A workspace's API keys: everyone who may read the workspace lists them (names and prefixes only); the owner and
 * admins create and revoke them. A new key belongs to its creator and acts with the creator's role (a key that
 * belongs to nobody acts as an admin: authenticate-api-key.ts), so an admin cannot mint a key stronger than an admin.
 * Every query is scoped by the caller's tenant: another workspace's key is a 404. Both changes are audited.
 */

const KEY_SELECT = {
  id: true,
  name: true,
  prefix: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
  revokedAt: true,
  user: { select: { email: true } },
} as const satisfies Prisma.ApiKeySelect;

type KeyRow = Prisma.ApiKeyGetPayload<{ select: typeof KEY_SELECT }>;

function toSummary(row: KeyRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdBy: row.user?.email ?? null,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

function requireKeyManager(actor: TenantIdentity): void {
  if (actor.memberRole === 'owner' || actor.memberRole === 'admin') return;
  throw new AppError(
    'insufficient_role',
    `Only the owner and admins manage API keys; your role is ${actor.memberRole}.`,
  );
}

/** Newest first; revoked keys stay listed (with revokedAt) so people can see what was turned off and when. */
export async function listApiKeys({ prisma }: Pick<ServiceClients, 'prisma'>, actor: TenantIdentity) {
  const rows = await prisma.apiKey.findMany({
    where: { tenantId: actor.tenantId },
    select: KEY_SELECT,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: 500,
  });
  return rows.map(toSummary);
}

export async function createApiKey(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: TenantIdentity,
  input: { name: string },
  request: RequestFacts = {},
) {
  requireKeyManager(actor);
  const generated = generateApiKey('live');
  return prisma.$transaction(async (tx) => {
    const row = await tx.apiKey.create({
      data: {
        tenantId: actor.tenantId,
        userId: actor.userId,
        name: input.name,
        prefix: generated.prefix,
        keyHash: generated.hash,
      },
      select: KEY_SELECT,
    });
    await writeAudit(
      { prisma: tx },
      {
        actor: tenantAuditActor(actor),
        action: 'api_key.create',
        tenantId: actor.tenantId,
        target: { type: 'api_key', id: row.id },
        after: { id: row.id, name: row.name, prefix: row.prefix },
        request,
      },
    );
    return { apiKey: toSummary(row), key: generated.key };
  });
}

/** Revokes a key at once (the next request with it is a 401). Revoking a revoked key answers it unchanged. */
export async function revokeApiKey(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: TenantIdentity,
  id: string,
  request: RequestFacts = {},
) {
  requireKeyManager(actor);
  return prisma.$transaction(async (tx) => {
    const before = await tx.apiKey.findFirst({ where: { id, tenantId: actor.tenantId }, select: KEY_SELECT });
    if (!before) throw new AppError('not_found', `There is no API key ${id} in this workspace.`);
    if (before.revokedAt) return toSummary(before);
    const after = await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() }, select: KEY_SELECT });
    await writeAudit(
      { prisma: tx },
      {
        actor: tenantAuditActor(actor),
        action: 'api_key.revoke',
        tenantId: actor.tenantId,
        target: { type: 'api_key', id },
        before: { id, name: before.name, prefix: before.prefix, revokedAt: null },
        after: { id, name: after.name, prefix: after.prefix, revokedAt: after.revokedAt?.toISOString() ?? null },
        request,
      },
    );
    return toSummary(after);
  });
}
