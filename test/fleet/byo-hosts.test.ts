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
  await publishRuntimeRelease(
    { prisma: t.prisma },
    {
      releaseDir,
      runtimeDir: join(import.meta.dirname, '../../packages/runtime'),
      node: { kind: 'system' },
    },
  );
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
  // Set by the first test, used by the second: the host, the tenant on it, and a tenant that found the pool empty.
  let hostId: string;
  let tenantId: string;
  let secondId: string;

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
    hostId = host.id;
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
    tenantId = signup.json().tenant.id as string;
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
    secondId = second.json().tenant.id as string;
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

  it("go back to their pool when their tenant is deleted: wiped of the tenant's traces, re-bootstrapped, claimed again", async () => {
    const box = fleet.boxes[0]!;
    const connection = await ssh.connect(fleet.target(box));
    // What a tenant's code leaves behind, as the runtime user: a process that ignores TERM, files in the runtime's
    // state, its home and /tmp (one in a directory it made unwritable), and links to root's directories.
    const planted = await connection.exec(
      sh`runuser -u paddock -- sh -c ${`set -e
mkdir -p /var/lib/paddock/runs/left-behind /tmp/tenant-dir
echo secret > /var/lib/paddock/runs/left-behind/output.txt
echo dotfile > /home/paddock/.tenant-history
echo tmp > /tmp/tenant-dir/file && chmod 500 /tmp/tenant-dir
ln -s /etc/ssh /var/lib/paddock/runs/left-behind/etc-ssh && ln -s /opt/paddock /home/paddock/opt-paddock
setsid sh -c 'trap "" TERM HUP; exec sleep 100000' </dev/null >/dev/null 2>&1 &
echo $!`}`,
    );
    const leftPid = planted.stdout.trim();
    expect(leftPid).toMatch(/^\d+$/);
    const probe = sh`test -e /var/lib/paddock/runs/left-behind && echo runs
test -e /home/paddock/.tenant-history && echo home
test -e /tmp/tenant-dir && echo tmp
test -e /proc/${leftPid} && echo process
true`;
    expect((await connection.exec(probe)).stdout.split('\n').filter(Boolean)).toEqual([
      'runs',
      'home',
      'tmp',
      'process',
    ]);

    const deleted = await t.app.inject({
      method: 'POST',
      url: '/v1/operator/workflows',
      headers: { ...headers, 'idempotency-key': `delete-${tenantId}` },
      payload: { kind: 'delete', tenantId },
    });
    expect(deleted.statusCode, deleted.body).toBe(202);
    await waitFor(
      'the tenant to be deleted',
      async () => (await t.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).status === 'deleted',
      120_000,
    );
    // The tenant's box row ends (its history stays its own); a fresh host row takes the machine back to the pool.
    expect(await t.prisma.box.findUniqueOrThrow({ where: { id: hostId } })).toMatchObject({
      tenantId,
      status: 'destroyed',
      statusReason: 'tenant deleted; host wiped',
    });
    const returned = await t.prisma.auditLog.findFirstOrThrow({ where: { action: 'host.returned' } });
    expect(returned).toMatchObject({ tenantId, actorType: 'system' });
    expect(returned.details).toMatchObject({ fromBoxId: hostId, pool: 'default' });
    const freshId = returned.targetId!;
    // The worker dials it with the same pin again and re-bootstraps it: ready and free in its pool.
    await waitFor(
      'the returned host to be ready in its pool',
      async () => {
        const list = (await get('/v1/operator/hosts?pool=default&free=true')).json() as {
          hosts: { id: string; status: string; statusReason: string | null }[];
        };
        const row = list.hosts.find((h) => h.id === freshId);
        if (row?.status === 'failed') throw new Error(`re-bootstrap failed: ${row.statusReason}`);
        return row?.status === 'ready';
      },
      120_000,
    );
    expect(await t.prisma.box.findUniqueOrThrow({ where: { id: freshId } })).toMatchObject({
      tenantId: null,
      provider: 'byo',
      address: box.host,
      port: box.port,
      hostKeyFingerprint: box.hostKeyFingerprint,
    });
    // Nothing of the tenant is left on the machine; Paddock's own code stays.
    const after = await ssh.connect(fleet.target(box));
    expect((await after.exec(probe)).stdout.trim()).toBe('');
    expect((await after.exec(sh`find /var/lib/paddock -mindepth 1 | wc -l`)).stdout.trim()).toBe('0');
    // Links the tenant planted to root's directories were removed, not followed.
    expect(
      (
        await after.exec(sh`test -x /opt/paddock/bin/paddock-service && test -f /etc/ssh/sshd_config && echo yes`)
      ).stdout.trim(),
    ).toBe('yes');

    // The tenant that found the pool empty gets it now: an operator's retry claims the returned host.
    const workflow = await t.prisma.workflow.findFirstOrThrow({ where: { tenantId: secondId } });
    const retried = await t.app.inject({ method: 'POST', url: `/v1/operator/workflows/${workflow.id}/retry`, headers });
    expect(retried.statusCode, retried.body).toBe(202);
    await waitFor(
      'the second tenant to be active on the returned host',
      async () => (await t.prisma.tenant.findUniqueOrThrow({ where: { id: secondId } })).status === 'active',
      180_000,
    );
    expect(await t.prisma.box.findUniqueOrThrow({ where: { id: freshId } })).toMatchObject({
      tenantId: secondId,
      status: 'ready',
    });
  }, 400_000);
});
