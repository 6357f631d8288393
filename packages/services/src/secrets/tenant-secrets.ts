import { AppError } from '@paddock/contracts';
import { Prisma, type PrismaClient } from '@paddock/db';
import type { Vault } from '@paddock/vault';
import { limitReached, lockPlanLimits } from '../tenants/plan-limits';
import { type RequestFacts, type TenantIdentity, tenantAuditEntry } from '../tenants/tenant-identity';
import type { ServiceClients } from '../clients';

export interface SecretSummary {
  name: string;
  updatedAt: Date;
}

// Binds a ciphertext to its tenant and name: copied into another tenant's row (or renamed) it fails to decrypt.
export function secretContext(tenantId: string, name: string): string {
  return `tenant_secret:${tenantId}:${name}`;
}

/** Creates or replaces a secret (encrypted at rest; the box sync sees the bumped version and pushes it again). */
export async function setTenantSecret(
  deps: { prisma: PrismaClient; vault: Vault },
  actor: TenantIdentity,
  input: { name: string; value: string },
  request: RequestFacts = {},
): Promise<SecretSummary & { created: boolean }> {
  const valueEncrypted = deps.vault.encrypt(input.value, secretContext(actor.tenantId, input.name));
  // Two first PUTs of one name race on the (tenant, name) index; the loser's retry updates the winner's row.
  for (let attempt = 1; ; attempt++) {
    try {
      return await upsertSecret(deps.prisma, actor, input.name, valueEncrypted, request);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002'))
        throw error;
    }
  }
}

async function upsertSecret(
  prisma: PrismaClient,
  actor: TenantIdentity,
  name: string,
  valueEncrypted: string,
  request: RequestFacts,
): Promise<SecretSummary & { created: boolean }> {
  return prisma.$transaction(async (tx) => {
    const limits = await lockPlanLimits({ prisma: tx }, actor.tenantId);
    if (limits.maxSecrets !== undefined) {
      const exists = await tx.tenantSecret.findUnique({
        where: { tenantId_name: { tenantId: actor.tenantId, name } },
        select: { id: true },
      });
      const count = exists ? 0 : await tx.tenantSecret.count({ where: { tenantId: actor.tenantId } });
      if (!exists && count >= limits.maxSecrets) throw limitReached('maxSecrets', count, limits.maxSecrets);
    }
    const secret = await tx.tenantSecret.upsert({
      where: { tenantId_name: { tenantId: actor.tenantId, name } },
      create: { tenantId: actor.tenantId, name, valueEncrypted },
      update: { valueEncrypted, version: { increment: 1 }, pushedAt: null },
      select: { id: true, name: true, version: true, updatedAt: true },
    });
    const created = secret.version === 1;
    await tx.auditLog.create({
      data: tenantAuditEntry(
        actor,
        created ? 'secret.create' : 'secret.update',
        { type: 'tenant_secret', id: secret.id },
        { name: secret.name, version: secret.version },
        request,
      ),
    });
    return { name: secret.name, updatedAt: secret.updatedAt, created };
  });
}

export async function listTenantSecrets(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
): Promise<SecretSummary[]> {
  return prisma.tenantSecret.findMany({
    where: { tenantId },
    select: { name: true, updatedAt: true },
    orderBy: { name: 'asc' },
  });
}

export async function deleteTenantSecret(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: TenantIdentity,
  name: string,
  request: RequestFacts = {},
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const secret = await tx.tenantSecret.findUnique({
      where: { tenantId_name: { tenantId: actor.tenantId, name } },
      select: { id: true, version: true },
    });
    if (!secret) throw new AppError('not_found', `There is no secret named ${name}.`);
    await tx.tenantSecret.delete({ where: { id: secret.id, tenantId: actor.tenantId } });
    await tx.auditLog.create({
      data: tenantAuditEntry(
        actor,
        'secret.delete',
        { type: 'tenant_secret', id: secret.id },
        { name, version: secret.version },
        request,
      ),
    });
  });
}

/** The plaintext of one secret, for the push to the tenant's box (never for an API answer). */
export async function readTenantSecretValue(
  deps: { prisma: PrismaClient; vault: Vault },
  tenantId: string,
  name: string,
): Promise<string | null> {
  const secret = await deps.prisma.tenantSecret.findUnique({
    where: { tenantId_name: { tenantId, name } },
    select: { valueEncrypted: true },
  });
  return secret ? deps.vault.decrypt(secret.valueEncrypted, secretContext(tenantId, name)) : null;
}
