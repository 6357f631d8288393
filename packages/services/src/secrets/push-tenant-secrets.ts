import type { PrismaClient } from '@paddock/db';
import { DEFAULT_BOX_LAYOUT, pushSecrets } from '@paddock/fleet';
import { loadBoxTargetWithPrisma } from '../boxes/load-box-target-prisma';
import { secretContext } from './tenant-secrets';
import type { BoxSyncDeps } from '../boxes/box-sync-deps';
import { boxForJob } from '../boxes/tenant-box';
import { writeAudit } from '../audit/audit-entry';

const MAX_ROUNDS = 3;

/**
 * The `secrets.push` job: replaces the secrets file on the tenant's box with the tenant's secrets as they are now.
 * Pushes of one tenant hold a Postgres advisory lock, so two never overlap and the last one to write read the
 * latest secrets; a change that lands while a push is on the wire is caught by reading again after it (and pushing
 * again). Values are decrypted here, in memory, and travel on stdin (pushSecrets); only names are recorded.
 */
export async function pushTenantSecrets(
  deps: BoxSyncDeps,
  payload: { tenantId: string },
  context: { finalAttempt: boolean },
) {
  const { prisma, vault } = deps;
  const box = await boxForJob({ prisma }, payload.tenantId, context.finalAttempt);
  if ('skipped' in box) return box;
  const { boxId } = box;
  const target = await loadBoxTargetWithPrisma({ prisma, vault }, boxId);
  return prisma.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtext(${`secrets.push:${payload.tenantId}`}))) AS l`;
      let rounds = 0;
      let pushed = await readSecrets(tx, payload.tenantId);
      for (;;) {
        rounds++;
        const secrets = Object.fromEntries(
          pushed.map((row) => [row.name, vault.decrypt(row.valueEncrypted, secretContext(payload.tenantId, row.name))]),
        );
        await pushSecrets({
          pool: deps.ssh,
          target,
          secrets,
          layout: deps.layout ?? DEFAULT_BOX_LAYOUT,
        });
        const now = new Date();
        for (const row of pushed) {
          await tx.tenantSecret.updateMany({
            where: { tenantId: payload.tenantId, name: row.name, version: row.version },
            data: { pushedAt: now },
          });
        }
        const current = await readSecrets(tx, payload.tenantId);
        if (fingerprint(current) === fingerprint(pushed) || rounds >= MAX_ROUNDS) break;
        pushed = current;
      }
      const names = pushed.map((row) => row.name);
      await writeAudit(
        { prisma: tx },
        {
          actor: { type: 'system', label: 'secrets.push' },
          action: 'box.secrets.pushed',
          tenantId: payload.tenantId,
          target: { type: 'box', id: boxId },
          details: { names, rounds },
        },
      );
      return { boxId, names, rounds };
    },
    { maxWait: 30_000, timeout: 180_000 },
  );
}

type Reader = Pick<PrismaClient, 'tenantSecret'>;

async function readSecrets(db: Reader, tenantId: string) {
  return db.tenantSecret.findMany({
    where: { tenantId },
    select: { name: true, version: true, valueEncrypted: true },
    orderBy: { name: 'asc' },
  });
}

// Names with versions: a value change bumps the version; delete-and-recreate changes the ciphertext.
function fingerprint(rows: Array<{ name: string; version: number; valueEncrypted: string }>): string {
  return rows.map((row) => `${row.name}:${row.version}:${row.valueEncrypted}`).join('\n');
}
