import type { PrismaClient } from '@paddock/db';
import { sshKeyVaultContext } from '../boxes/box-target';
import { secretContext } from '../secrets/tenant-secrets';
import { SIGNUP_SCOPE, secretsContext } from '../tenants/signup-idempotency';
import type { ServiceClients } from '../clients';

// Master key rotation, second half (docs/production.md, Rotating the master key): after every process runs with
// the keyring `new:...,old:...`, each vault ciphertext still written with an old key is decrypted and written again
// with the active one; then the old key can leave the keyring. Every ciphertext column is listed here once, with
// the context its writer binds it to (the same function the writer calls).

interface VaultColumn {
  /** `table.column`, as reported. */
  name: string;
  /** Rows whose ciphertext names another key than `activeKeyId`, after `afterId`, in id order. */
  stale(prisma: PrismaClient, activeKeyId: string, afterId: string, limit: number): Promise<StaleRow[]>;
  /** Compare-and-set: a row changed since it was read (a tenant set a new value) keeps the newer value. */
  replace(prisma: PrismaClient, id: string, from: string, to: string): Promise<number>;
  /** Rows still written with another key than the active one. */
  countStale(prisma: PrismaClient, activeKeyId: string): Promise<number>;
}

interface StaleRow {
  id: string;
  ciphertext: string;
  context: string;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
/** `v1:<active>:` starts every current ciphertext; LIKE needs `_` and `%` escaped in the key id. */
const currentPrefix = (activeKeyId: string) => `v1:${activeKeyId.replace(/[\\_%]/g, '\\$&')}:%`;

const COLUMNS: VaultColumn[] = [
  {
    name: 'tenant_secrets.value_encrypted',
    async stale(prisma, active, afterId, limit) {
      const rows = await prisma.$queryRaw<Array<{ id: string; tenant_id: string; name: string; c: string }>>`
        SELECT id::text, tenant_id::text, name, value_encrypted AS c FROM tenant_secrets
        WHERE value_encrypted NOT LIKE ${currentPrefix(active)} AND id > ${afterId}::uuid ORDER BY id LIMIT ${limit}`;
      return rows.map((r) => ({ id: r.id, ciphertext: r.c, context: secretContext(r.tenant_id, r.name) }));
    },
    replace: (prisma, id, from, to) =>
      prisma.$executeRaw`UPDATE tenant_secrets SET value_encrypted = ${to} WHERE id = ${id}::uuid AND value_encrypted = ${from}`,
    async countStale(prisma, active) {
      const [row] = await prisma.$queryRaw<[{ n: bigint }]>`
        SELECT count(*) AS n FROM tenant_secrets WHERE value_encrypted NOT LIKE ${currentPrefix(active)}`;
      return Number(row.n);
    },
  },
  {
    name: 'ssh_keys.private_key_encrypted',
    async stale(prisma, active, afterId, limit) {
      const rows = await prisma.$queryRaw<Array<{ id: string; c: string }>>`
        SELECT id::text, private_key_encrypted AS c FROM ssh_keys
        WHERE private_key_encrypted NOT LIKE ${currentPrefix(active)} AND id > ${afterId}::uuid ORDER BY id LIMIT ${limit}`;
      return rows.map((r) => ({ id: r.id, ciphertext: r.c, context: sshKeyVaultContext(r.id) }));
    },
    replace: (prisma, id, from, to) =>
      prisma.$executeRaw`UPDATE ssh_keys SET private_key_encrypted = ${to} WHERE id = ${id}::uuid AND private_key_encrypted = ${from}`,
    async countStale(prisma, active) {
      const [row] = await prisma.$queryRaw<[{ n: bigint }]>`
        SELECT count(*) AS n FROM ssh_keys WHERE private_key_encrypted NOT LIKE ${currentPrefix(active)}`;
      return Number(row.n);
    },
  },
  {
    // Only signup stores secrets with its idempotency records (the scope is part of the context).
    name: 'idempotency_records.response_secrets_encrypted',
    async stale(prisma, active, afterId, limit) {
      const rows = await prisma.$queryRaw<Array<{ id: string; key: string; request_hash: string; c: string }>>`
        SELECT id::text, key, request_hash, response_secrets_encrypted AS c FROM idempotency_records
        WHERE scope = ${SIGNUP_SCOPE} AND response_secrets_encrypted NOT LIKE ${currentPrefix(active)}
          AND id > ${afterId}::uuid ORDER BY id LIMIT ${limit}`;
      return rows.map((r) => ({ id: r.id, ciphertext: r.c, context: secretsContext(r.key, r.request_hash) }));
    },
    replace: (prisma, id, from, to) =>
      prisma.$executeRaw`UPDATE idempotency_records SET response_secrets_encrypted = ${to}
        WHERE id = ${id}::uuid AND response_secrets_encrypted = ${from}`,
    async countStale(prisma, active) {
      const [row] = await prisma.$queryRaw<[{ n: bigint }]>`
        SELECT count(*) AS n FROM idempotency_records
        WHERE scope = ${SIGNUP_SCOPE} AND response_secrets_encrypted NOT LIKE ${currentPrefix(active)}`;
      return Number(row.n);
    },
  },
];

export interface ReencryptReport {
  column: string;
  /** Rewritten with the active key by this run. */
  rewritten: number;
  /** Still written with another key afterwards (changed while this ran by a process with an old keyring). */
  remaining: number;
}

/**
 * Rewrites every vault ciphertext not written with the vault's active key. Row by row with compare-and-set, so it
 * may run while the API and workers serve; a ciphertext that fails to decrypt (a key missing from the keyring)
 * stops the run with that error: nothing is guessed, and rows already done stay done (running again resumes).
 */
export async function reencryptVaultRows(
  { prisma, vault }: Pick<ServiceClients, 'prisma' | 'vault'>,
  options: { batchSize?: number } = {},
): Promise<ReencryptReport[]> {
  const batchSize = options.batchSize ?? 500;
  const reports: ReencryptReport[] = [];
  for (const column of COLUMNS) {
    let rewritten = 0;
    let afterId = ZERO_UUID;
    for (;;) {
      const rows = await column.stale(prisma, vault.activeKeyId, afterId, batchSize);
      for (const row of rows) {
        rewritten += await column.replace(prisma, row.id, row.ciphertext, vault.reencrypt(row.ciphertext, row.context));
      }
      const last = rows.at(-1);
      if (!last || rows.length < batchSize) break;
      afterId = last.id;
    }
    reports.push({ column: column.name, rewritten, remaining: await column.countStale(prisma, vault.activeKeyId) });
  }
  return reports;
}
