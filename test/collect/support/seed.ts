import { createHash, randomBytes } from 'node:crypto';
import type { SshKeyPair } from '@paddock/fleet';
import type { Vault } from '@paddock/vault';
import type { Pool } from 'pg';
import { sshKeyVaultContext } from '@paddock/services';

/** Seed factories for collector tests: real rows through plain SQL, each with fresh unique names. */
export async function seedTenant(pool: Pool): Promise<string> {
  const suffix = randomBytes(4).toString('hex');
  const plan = await pool.query<{ id: string }>(
    `INSERT INTO plans (code, name, price_minor, provider) VALUES ($1, 'Test plan', 0, 'local')
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    ['collect-test'],
  );
  const tenant = await pool.query<{ id: string }>(
    `INSERT INTO tenants (slug, name, status, plan_id) VALUES ($1, $2, 'active', $3) RETURNING id`,
    [`t-${suffix}`, `Tenant ${suffix}`, plan.rows[0]?.id],
  );
  return tenant.rows[0]?.id as string;
}

export async function seedBox(
  pool: Pool,
  tenantId: string,
  fields: { status?: string; name?: string; address?: string; port?: number; hostKey?: string; sshKeyId?: string } = {},
): Promise<string> {
  const box = await pool.query<{ id: string }>(
    `INSERT INTO boxes (tenant_id, provider, status, name, address, port, host_key_fingerprint, ssh_key_id)
     VALUES ($1, 'local', $2::box_status, $3, $4, $5, $6, $7) RETURNING id`,
    [
      tenantId,
      fields.status ?? 'ready',
      fields.name ?? null,
      fields.address ?? null,
      fields.port ?? 22,
      fields.hostKey ?? null,
      fields.sshKeyId ?? null,
    ],
  );
  return box.rows[0]?.id as string;
}

/** The control plane's login key for boxes, its private half vault-encrypted for its own row (as provisioning stores it). */
export async function seedSshKey(pool: Pool, vault: Vault, key: SshKeyPair): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO ssh_keys (name, public_key, fingerprint, private_key_encrypted) VALUES ($1, $2, $3, '') RETURNING id`,
    [`collect-test-${randomBytes(4).toString('hex')}`, key.publicKey, key.fingerprint],
  );
  const id = rows[0]?.id as string;
  await pool.query('UPDATE ssh_keys SET private_key_encrypted = $2 WHERE id = $1', [
    id,
    vault.encrypt(key.privateKey, sshKeyVaultContext(id)),
  ]);
  return id;
}

/**
 * A tenant with a ready box reachable over SSH (a test box), its login key stored as provisioning stores it, and
 * a chain named `chain` so that runs started on the box are adopted.
 */
export async function seedReachableBox(
  pool: Pool,
  vault: Vault,
  box: { host: string; port: number; hostKeyFingerprint: string },
  loginKey: SshKeyPair,
  chain: string,
): Promise<{ tenantId: string; boxId: string }> {
  const tenantId = await seedTenant(pool);
  const sshKeyId = await seedSshKey(pool, vault, loginKey);
  const boxId = await seedBox(pool, tenantId, {
    address: box.host,
    port: box.port,
    hostKey: box.hostKeyFingerprint,
    sshKeyId,
  });
  await seedChain(pool, tenantId, chain);
  return { tenantId, boxId };
}

/** A chain with one version whose content hash is `hash` (what the box reports as `sha256:<hash>`). */
export async function seedChain(
  pool: Pool,
  tenantId: string,
  name: string,
  agents: Record<string, { needs?: string[] }> = {},
  hash = createHash('sha256').update(name).digest('hex'),
): Promise<{ chainId: string; versionId: string; hash: string }> {
  const chain = await pool.query<{ id: string }>('INSERT INTO chains (tenant_id, name) VALUES ($1, $2) RETURNING id', [
    tenantId,
    name,
  ]);
  const chainId = chain.rows[0]?.id as string;
  const definition = { fileName: 'chain.yaml', text: '', chain: { name, agents } };
  const version = await pool.query<{ id: string }>(
    `INSERT INTO chain_versions (tenant_id, chain_id, version, content_hash, definition, prompts, status)
     VALUES ($1, $2, 1, $3, $4::jsonb, '{}'::jsonb, 'active') RETURNING id`,
    [tenantId, chainId, hash, JSON.stringify(definition)],
  );
  return { chainId, versionId: version.rows[0]?.id as string, hash };
}

/** A cursor row owned by `ownerId` (what a collector's claim leaves behind). */
export async function seedCursor(pool: Pool, boxId: string, tenantId: string, ownerId: string, cursor = '') {
  await pool.query(
    `INSERT INTO collector_cursors (box_id, tenant_id, cursor, owner_id, lease_expires_at)
     VALUES ($1, $2, $3, $4, now() + interval '1 minute')
     ON CONFLICT (box_id) DO UPDATE SET cursor = $3, owner_id = $4, lease_expires_at = now() + interval '1 minute'`,
    [boxId, tenantId, cursor, ownerId],
  );
}

export { runEvents } from '@paddock/testkit';

/**
 * A model price version in the price book (micros per million tokens), in force from `effectiveFrom` (by default
 * long before any test event), so collected usage is rated at it. Answers the version's id.
 */
export async function seedModelPrice(
  pool: Pool,
  model: string,
  price: { input: bigint; output: bigint; cached?: bigint; currency?: string; effectiveFrom?: string },
): Promise<string> {
  const row = await pool.query<{ id: string }>(
    `INSERT INTO model_prices (model, currency, input_micros_per_million, output_micros_per_million,
                               cached_input_micros_per_million, effective_from, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, 'test') RETURNING id`,
    [
      model,
      price.currency ?? 'USD',
      price.input.toString(),
      price.output.toString(),
      (price.cached ?? price.input).toString(),
      price.effectiveFrom ?? '2000-01-01T00:00:00Z',
    ],
  );
  return row.rows[0]?.id as string;
}

/**
 * Prices for the models the collector tests' chains report (`m-1`, `m-2`, ...; support/chains.ts): 100 micros per
 * input token, output free, so the control plane's charge equals what those steps report (n x 10 tokens, $0.00n).
 */
export async function priceChainModels(pool: Pool, count = 3): Promise<void> {
  for (let n = 1; n <= count; n++) await seedModelPrice(pool, `m-${n}`, { input: 100_000_000n, output: 0n });
}
