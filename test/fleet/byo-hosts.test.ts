import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSshKeyPair, type SshPool, sh } from '@paddock/fleet';
import { publishRuntimeRelease } from '@paddock/services';
import { readTestEnv } from '@paddock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, startTestApp, type TestApp } from '../../apps/api/src/test-app';
import { type AppProcess, spawnApp } from '../support/spawn-app';
import { waitFor } from '../support/wait-for';
import { signupRequest } from '../tenant/support';
import { createTestFleet, type TestFleet } from './support/test-boxes';

// Bring-your-own hosts as an operator registers them: the host key read by a probe and confirmed, the host dialled
// with it before anything is stored, bootstrapped by a real worker process into its pool, then claimed by a signup
// on a byo plan and provisioned into a tenant's ready box. The "host" is a local sshd test box on a loopback address.
let t: TestApp;
let fleet: TestFleet;
let ssh: SshPool;
let releaseDir: string;
let worker: AppProcess;
let headers: { authorization: string };
const masterKey = randomBytes(32).toString('base64');

const post = (url: string, payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url, headers, payload });
const get = (url: string) => t.app.inject({ method: 'GET', url, headers });

beforeAll(async () => {
  [t, fleet] = await Promise.all([startTestApp({ masterKey }), createTestFleet(1)]);
  ssh = fleet.pool();
  releaseDir = mkdtempSync(join(tmpdir(), 'paddock-byo-'));
  await createOperator(t.prisma, 'hosts-ops@example.com', 'correct horse battery staple');
  headers = {
    authorization: `Bearer ${await loginAs(t.app, 'hosts-ops@example.com', 'correct horse battery staple')}`,
  };
  await publishRuntimeRelease(t.prisma, {
    releaseDir,
    runtimeDir: join(import.meta.dirname, '../../packages/runtime'),
    node: { kind: 'system' },
  });
  await t.prisma.plan.create({
    data: { code: 'byo-default', name: 'Bring your own', priceMinor: 0, provider: 'byo', serverType: 'default' },
  });
  worker = spawnApp('apps/worker/src/main.ts', {
    DATABASE_URL: t.databaseUrl,
    REDIS_URL: readTestEnv().REDIS_URL,
    QUEUE_PREFIX: t.queues.fleet.opts.prefix ?? '',
    PADDOCK_MASTER_KEY: masterKey,
    WORKER_ID: 'byo-worker',
    RELEASE_DIR: releaseDir,
    RELEASE_AUTO_PUBLISH: 'false',
    RELEASE_NODE: 'system',
    COLLECTOR: 'false',
    SCHEDULES: 'false',
    LOG_LEVEL: 'info',
  });
  await worker.waitForLog('worker ready', 60_000);
}, 240_000);

afterAll(async () => {
  await worker?.stop('SIGKILL');
  await t?.close();
  await fleet?.destroy();
  if (releaseDir) rmSync(releaseDir, { recursive: true, force: true });
});

describe('bring-your-own hosts', () => {
  it('are probed, registered with the confirmed key, bootstrapped into their pool and serve a tenant', async () => {
    const box = fleet.boxes[0]!;
    const where = { address: box.host, port: box.port, user: 'root' };

    // Bad input is refused before any connection.
    const bad = await post('/v1/operator/hosts/probe', { ...where, address: 'not a host; rm -rf /' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('validation_failed');

    // The probe shows the key the host presents; nothing is trusted yet, the look is audited.
    const probe = await post('/v1/operator/hosts/probe', where);
    expect(probe.statusCode, probe.body).toBe(200);
    expect(probe.json()).toEqual({
      address: box.host,
      port: box.port,
      fingerprint: box.hostKeyFingerprint,
      algorithm: 'ssh-ed25519',
    });
    expect(await t.prisma.auditLog.count({ where: { action: 'host.probe' } })).toBe(1);

    const body = {
      name: 'own-host-1',
      ...where,
      fingerprint: box.hostKeyFingerprint,
      trust: 'first_use',
      privateKey: fleet.loginKey.privateKey,
      pool: 'default',
    };
    // A fingerprint the host does not present: refused, nothing stored.
    const impostor = generateSshKeyPair('not the host').fingerprint;
    const wrong = await post('/v1/operator/hosts', { ...body, fingerprint: impostor });
    expect(wrong.statusCode, wrong.body).toBe(409);
    expect(wrong.json().error.message).toMatch(/does not present host key/);
    // A key the host does not accept: refused, nothing stored.
    const stranger = await post('/v1/operator/hosts', { ...body, privateKey: generateSshKeyPair('x').privateKey });
    expect(stranger.statusCode, stranger.body).toBe(422);
    const garbage = await post('/v1/operator/hosts', { ...body, privateKey: 'x'.repeat(100) });
    expect(garbage.statusCode).toBe(400);
    expect(await t.prisma.box.count()).toBe(0);

    const registered = await post('/v1/operator/hosts', body);
    expect(registered.statusCode, registered.body).toBe(202);
    const host = registered.json() as { id: string; status: string; fingerprint: string; tenantId: string | null };
    expect(host).toMatchObject({ status: 'bootstrapping', fingerprint: box.hostKeyFingerprint, tenantId: null });
    const audit = await t.prisma.auditLog.findFirstOrThrow({ where: { action: 'host.register' } });
    expect(audit).toMatchObject({ actorLabel: 'hosts-ops@example.com', targetId: host.id });
    expect(audit.details).toMatchObject({ fingerprint: box.hostKeyFingerprint, trust: 'first_use', pool: 'default' });
    // The private key is stored only as vault ciphertext.
    const key = await t.prisma.sshKey.findFirstOrThrow({ where: { fingerprint: fleet.loginKey.fingerprint } });
    expect(key.privateKeyEncrypted).not.toContain('PRIVATE KEY');
    expect((await post('/v1/operator/hosts', body)).statusCode).toBe(409);

    // The worker bootstraps it: it joins the pool as ready, with the runtime's service on the machine.
    const ready = await waitFor(
      'the host to be bootstrapped',
      async () => {
        const list = (await get('/v1/operator/hosts?pool=default&free=true')).json() as {
          hosts: { id: string; status: string; statusReason: string | null }[];
        };
        const row = list.hosts.find((h) => h.id === host.id);
        if (row?.statusReason) throw new Error(`bootstrap failed: ${row.statusReason}`);
        return row?.status === 'ready' ? row : undefined;
      },
      120_000,
    );
    expect(ready.status).toBe('ready');
    const onBox = await (await ssh.connect(fleet.target(box))).exec(
      sh`test -x /opt/paddock/bin/paddock-service && echo yes`,
    );
    expect(onBox.stdout.trim()).toBe('yes');

    // A signup on a byo plan claims it from the pool and gets a ready box on it.
    const signup = await t.app.inject(
      signupRequest({
        email: `byo-${randomUUID().slice(0, 6)}@example.com`,
        workspaceName: 'Own Host',
        plan: 'byo-default',
      }),
    );
    expect(signup.statusCode, signup.body).toBe(202);
    const tenantId = signup.json().tenant.id as string;
    await waitFor(
      'the tenant to be active',
      async () => {
        const tenant = await t.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } });
        if (tenant.status === 'provisioning_failed') {
          const workflow = await t.prisma.workflow.findFirst({ where: { tenantId }, orderBy: { createdAt: 'desc' } });
          throw new Error(`provisioning failed: ${workflow?.error}`);
        }
        return tenant.status === 'active';
      },
      180_000,
    );
    const claimed = await t.prisma.box.findUniqueOrThrow({ where: { id: host.id } });
    expect(claimed).toMatchObject({ tenantId, status: 'ready', hostKeyFingerprint: box.hostKeyFingerprint });
    const current = await (await ssh.connect(fleet.target(box))).exec(sh`readlink /opt/paddock/current`);
    expect(current.stdout.trim()).toMatch(/^releases\//);
    const boxes = (await get(`/v1/operator/boxes?tenantId=${tenantId}`)).json().boxes as { id: string }[];
    expect(boxes.map((b) => b.id)).toEqual([host.id]);

    // The pool is empty now: the next byo signup fails to provision, saying so; the taken host cannot be given to it.
    const second = await t.app.inject(
      signupRequest({
        email: `byo2-${randomUUID().slice(0, 6)}@example.com`,
        workspaceName: 'No Host',
        plan: 'byo-default',
      }),
    );
    const secondId = second.json().tenant.id as string;
    await waitFor(
      'the second tenant to fail provisioning',
      async () =>
        (await t.prisma.tenant.findUniqueOrThrow({ where: { id: secondId } })).status === 'provisioning_failed',
      60_000,
    );
    const failed = await t.prisma.workflow.findFirstOrThrow({ where: { tenantId: secondId } });
    expect(failed.error).toMatch(/No free bring-your-own host in pool default/);
    const assign = await post(`/v1/operator/hosts/${host.id}/assign`, { tenantId: secondId });
    expect(assign.statusCode, assign.body).toBe(409);
    expect((await t.prisma.box.findUniqueOrThrow({ where: { id: host.id } })).tenantId).toBe(tenantId);
  }, 400_000);
});
