import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError, generateSshKeyPair, replaceHostKey, SshPool, sh } from '@paddock/fleet';
import { type LocalBox, LocalBoxHarness } from '@paddock/providers';
import { createStoredKeyPair, loadBoxTarget, type ProvisioningDeps, replaceHostKeyStep } from '@paddock/services';
import { Pool } from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { registerTestBox, type SignedUp, signUp, startTenantTestApp } from '../tenant/support';
import { collectEvents } from './support/test-boxes';

// Issue 9: on Hetzner the host key the control plane made travels in cloud-init user data, which the metadata
// service serves to any local user: the runtime user could read it and impersonate the box. Provisioning replaces
// it over the first pinned connection with a key made on the box, re-pinned and audited.
let t: TestApp;
let pg: Pool;
let harness: LocalBoxHarness;
let tenant: SignedUp;
const events = collectEvents();
let ssh: SshPool;
let deps: ProvisioningDeps;
const login = generateSshKeyPair('control plane login (test)');

beforeAll(async () => {
  t = await startTenantTestApp();
  pg = new Pool({ connectionString: t.databaseUrl, max: 2 });
  harness = new LocalBoxHarness();
  tenant = await signUp(t.app, 'hostkey');
  ssh = new SshPool({ recorder: events, timeouts: { connectMs: 10_000, commandMs: 60_000 } });
  deps = {
    prisma: t.prisma,
    queues: t.queues,
    pg,
    vault: t.vault,
    ssh,
    providers: {},
    releaseDir: '',
    systemNode: true,
  };
});

afterAll(async () => {
  await ssh?.close(2_000);
  await harness?.destroyAll();
  await pg?.end();
  await t?.close();
});

/** A box as a provider leaves it: the host key the control plane made (stored, pinned) installed before first boot. */
async function seededBox(name: string): Promise<{ box: LocalBox; boxId: string; seeded: string; privateKey: string }> {
  const host = await createStoredKeyPair(
    { prisma: t.prisma, vault: t.vault },
    { tenantId: tenant.tenantId, name: `${name} host key` },
  );
  const box = await harness.createBox({ name, authorizedKey: login.publicKey, hostKey: host.pair });
  const boxId = await registerTestBox(
    t,
    tenant.tenantId,
    { host: box.host, port: box.port, hostKeyFingerprint: host.pair.fingerprint },
    login,
  );
  return { box, boxId, seeded: host.pair.fingerprint, privateKey: host.pair.privateKey };
}

function stepContext(boxId: string) {
  return {
    prisma: t.prisma,
    workflowId: tenant.workflowId,
    tenantId: tenant.tenantId,
    boxId,
    outputs: {},
    attempt: 1,
    signal: new AbortController().signal,
    logger: pino({ level: 'silent' }),
  };
}

/** Every file of the box's /etc/ssh, read from the host. */
function etcSshContents(box: LocalBox): string {
  const dir = box.pathOnHost('/etc/ssh');
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(dir, e.name), 'utf8'))
    .join('\n');
}

/** The key material of an OpenSSH private key (its base64 body), whatever line wrapping a copy uses. */
function keyBody(privateKey: string): string {
  return privateKey
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('');
}

async function connectError(boxId: string, fingerprint: string): Promise<unknown> {
  const target = await loadBoxTarget({ pg, vault: t.vault }, boxId);
  const fresh = new SshPool({ timeouts: { connectMs: 10_000 } });
  try {
    const connection = await fresh.connect({ ...target, hostKey: { kind: 'pinned', fingerprint } });
    return (await connection.exec(sh`echo ok`)).stdout;
  } catch (error) {
    return error;
  } finally {
    await fresh.close(1_000);
  }
}

describe('replacing the seeded host key over the first pinned connection', () => {
  it('makes a new key on the box, pins it, audits it, and the seeded key opens nothing any more', async () => {
    const { box, boxId, seeded, privateKey } = await seededBox('seeded-1');
    expect(etcSshContents(box).replace(/\n/g, '')).toContain(keyBody(privateKey));
    // Another host key type, as images and cloud-init leave them: exposed the same way, so it must go too.
    writeFileSync(box.pathOnHost('/etc/ssh/ssh_host_ecdsa_key'), 'exposed ecdsa key\n', { mode: 0o600 });
    writeFileSync(box.pathOnHost('/etc/ssh/ssh_host_ecdsa_key.pub'), 'ecdsa-sha2-nistp256 AAAA\n');

    const output = await replaceHostKeyStep(deps, stepContext(boxId));
    expect(output).toMatchObject({ replaced: true, previous: seeded });
    const fingerprint = (output as { fingerprint: string }).fingerprint;
    expect(fingerprint).not.toBe(seeded);

    const row = await t.prisma.box.findUniqueOrThrow({ where: { id: boxId } });
    expect(row.hostKeyFingerprint).toBe(fingerprint);
    expect(row.hostKeyPendingFingerprint).toBeNull();
    const audit = await t.prisma.auditLog.findMany({ where: { targetId: boxId, action: 'box.host_key.replaced' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ previous: seeded, fingerprint });
    expect((await t.prisma.sshKey.findUniqueOrThrow({ where: { fingerprint: seeded } })).revokedAt).not.toBeNull();

    // Whoever holds the seeded key can no longer be the box: a fresh connection pinned to it is refused.
    const refused = await connectError(boxId, seeded);
    expect(refused).toBeInstanceOf(FleetError);
    expect((refused as FleetError).failure).toBe('host_key_mismatch');
    expect(await connectError(boxId, fingerprint)).toBe('ok\n');
    // The seeded private key is gone from the box's /etc/ssh; only the new ed25519 pair is there.
    expect(etcSshContents(box).replace(/\n/g, '')).not.toContain(keyBody(privateKey));
    const hostKeys = readdirSync(box.pathOnHost('/etc/ssh')).filter((n) => n.startsWith('ssh_host_'));
    expect(hostKeys.sort()).toEqual(['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub']);

    // Run again (at-least-once): nothing changes, nothing is audited twice.
    expect(await replaceHostKeyStep(deps, stepContext(boxId))).toEqual({
      replaced: false,
      fingerprint,
      reason: 'made_on_box',
    });
    expect(await t.prisma.auditLog.count({ where: { targetId: boxId, action: 'box.host_key.replaced' } })).toBe(1);
  });

  it('a retry after the box switched keys but before the re-pin pins the key the box has, without an alert', async () => {
    const { boxId, seeded } = await seededBox('seeded-2');
    const target = await loadBoxTarget({ pg, vault: t.vault }, boxId);
    // The first attempt dies after sshd presents the new key and before Postgres heard of it (beyond the pending).
    const crashed = await replaceHostKey({
      pool: ssh,
      target,
      recordPending: async (fingerprint) => {
        await t.prisma.box.update({ where: { id: boxId }, data: { hostKeyPendingFingerprint: fingerprint } });
      },
    });
    expect((await connectError(boxId, seeded)) as FleetError).toBeInstanceOf(FleetError);
    events.events.length = 0;
    const freshPool = new SshPool({ recorder: events, timeouts: { connectMs: 10_000, commandMs: 60_000 } });
    try {
      // A new worker: no pooled connection from the first attempt.
      const output = await replaceHostKeyStep({ ...deps, ssh: freshPool }, stepContext(boxId));
      expect(output).toEqual({ replaced: true, previous: seeded, fingerprint: crashed.fingerprint });
    } finally {
      await freshPool.close(1_000);
    }
    expect(events.events.filter((e) => e.type === 'host_key.mismatch')).toEqual([]);
    const row = await t.prisma.box.findUniqueOrThrow({ where: { id: boxId } });
    expect(row).toMatchObject({ hostKeyFingerprint: crashed.fingerprint, hostKeyPendingFingerprint: null });
  });

  it('a retry after the new key was made and recorded but before the switch installs that same key', async () => {
    const { box, boxId, seeded } = await seededBox('seeded-3');
    const target = await loadBoxTarget({ pg, vault: t.vault }, boxId);
    let recorded = '';
    const died = await replaceHostKey({
      pool: ssh,
      target,
      recordPending: async (fingerprint) => {
        recorded = fingerprint;
        await t.prisma.box.update({ where: { id: boxId }, data: { hostKeyPendingFingerprint: fingerprint } });
        throw new Error('worker died');
      },
    }).catch((error: Error) => error);
    expect((died as Error).message).toBe('worker died');
    // The box still presents the seeded key.
    expect(await connectError(boxId, seeded)).toBe('ok\n');
    expect(box.alive()).toBe(true);
    const output = await replaceHostKeyStep(deps, stepContext(boxId));
    expect(output).toEqual({ replaced: true, previous: seeded, fingerprint: recorded });
    expect(await connectError(boxId, recorded)).toBe('ok\n');
  });
});
