import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { generateSshKeyPair } from '@paddock/fleet';
import { readTenantSecretValue, sshKeyVaultContext } from '@paddock/services';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import { createVault } from '@paddock/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../apps/api/src/test-app';
import { signupRequest, startTenantTestApp } from '../tenant/support';
import { execStart, REPO_ROOT, readUnit } from './systemd-units';

// Rotating the master key as docs/production.md says: every process gets the keyring `new:...,old:...`, then
// paddock-reencrypt.service (its own ExecStart, run here) rewrites every ciphertext with the new key; afterwards a
// keyring holding only the new key reads everything: tenant secrets, box SSH keys and replayable signup answers.

const OLD = randomBytes(32).toString('base64');
const NEW = randomBytes(32).toString('base64');

describe('master key rotation (paddock-reencrypt.service)', () => {
  let t: TestApp;
  let database: TestDatabase;
  let tenantId: string;
  let apiKey: string;
  const idempotencyKey = randomUUID();
  const signup = { email: `rotate-${randomUUID().slice(0, 8)}@example.com`, workspaceName: 'Rotate', plan: 'starter' };
  const login = generateSshKeyPair('rotation test');
  let sshKeyId: string;

  function reencrypt(masterKey: string) {
    const [, ...args] = execStart(readUnit('paddock-reencrypt.service'));
    return spawnSync(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: t.databaseUrl, PADDOCK_MASTER_KEY: masterKey },
      encoding: 'utf8',
    });
  }

  beforeAll(async () => {
    // Written while the bare old key is the only one (its id is k1, as every install before a rotation).
    database = await createTestDatabase();
    t = await startTenantTestApp({ database, masterKey: OLD });
    const reply = await t.app.inject(signupRequest(signup, idempotencyKey));
    expect(reply.statusCode).toBe(202);
    tenantId = reply.json().tenant.id;
    apiKey = reply.json().apiKey.key;
    const secret = await t.app.inject({
      method: 'PUT',
      url: '/v1/secrets/ROTATE_ME',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { value: 'the value before rotation' },
    });
    expect(secret.statusCode).toBeLessThan(300);
    sshKeyId = randomUUID();
    await t.prisma.sshKey.create({
      data: {
        id: sshKeyId,
        name: 'rotation test key',
        publicKey: login.publicKey,
        fingerprint: `${login.fingerprint}-${sshKeyId}`,
        privateKeyEncrypted: t.vault.encrypt(login.privateKey, sshKeyVaultContext(sshKeyId)),
      },
    });
  });
  afterAll(() => t?.close());

  it('refuses a keyring without the key the rows were written with, plainly, changing nothing', async () => {
    const before = await t.prisma.tenantSecret.findMany({ select: { valueEncrypted: true } });
    const result = reencrypt(`k2:${NEW}`);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/vault:reencrypt: vault: ciphertext was written with key "k1"/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await t.prisma.tenantSecret.findMany({ select: { valueEncrypted: true } })).toEqual(before);
  });

  it('rewrites every ciphertext with the new key; then the new key alone reads them all', async () => {
    const first = reencrypt(`k2:${NEW},k1:${OLD}`);
    expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
    expect(first.stdout).toMatch(/tenant_secrets\.value_encrypted: rewrote 1, left under an old key 0/);
    expect(first.stdout).toMatch(/ssh_keys\.private_key_encrypted: rewrote 1, left under an old key 0/);
    expect(first.stdout).toMatch(/idempotency_records\.response_secrets_encrypted: rewrote 1, left under an old key 0/);

    const newOnly = createVault(`k2:${NEW}`);
    expect(await readTenantSecretValue({ prisma: t.prisma, vault: newOnly }, tenantId, 'ROTATE_ME')).toBe(
      'the value before rotation',
    );
    const key = await t.prisma.sshKey.findUniqueOrThrow({ where: { id: sshKeyId } });
    expect(newOnly.decrypt(key.privateKeyEncrypted, sshKeyVaultContext(sshKeyId))).toBe(login.privateKey);

    // The signup's replay (same idempotency key) still shows the same API key, from an API with the new key only.
    const rotated = await startTestApp({ database: { ...database, drop: async () => {} }, masterKey: `k2:${NEW}` });
    try {
      const replay = await rotated.app.inject(signupRequest(signup, idempotencyKey));
      expect(replay.statusCode).toBe(202);
      expect(replay.json().apiKey.key).toBe(apiKey);
    } finally {
      await rotated.close();
    }

    const again = reencrypt(`k2:${NEW},k1:${OLD}`);
    expect(again.status).toBe(0);
    expect(again.stdout.match(/rewrote 0/g)).toHaveLength(3);
  });
});
