import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapBox, buildRuntimeRelease, deployToBox, generateSshKeyPair, SshPool } from '@paddock/fleet';
import { createPrismaFleetRecorder, type RunningCollector, startCollector } from '@paddock/services';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, type TestApp } from '../../apps/api/src/test-app';
import { waitFor } from '../support/wait-for';
import { createTestFleet, type TestFleet } from '../fleet/support/test-boxes';
import { registerTestBox, type SignedUp, signUp, startTenantTestApp } from '../tenant/support';

// A box whose SSH host key changed, met by the API (a tenant request) and by a worker's collector, each process with
// its own SSH pool and the one Prisma fleet recorder: one audit row, the box unreachable, one alert however often it
// is met, the tenant told `box_host_key_changed`; an operator re-pins it after checking and the box serves again.
let fleet: TestFleet;
let outDir: string;
let t: TestApp;
let tenant: SignedUp;
let boxId: string;
let runId: string;
let operatorToken: string;
let workerSsh: SshPool;
let pool: pg.Pool;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'paddock-host-key-'));
  fleet = await createTestFleet(1);
  const box = fleet.boxes[0]!;
  const setup = fleet.pool();
  const release = await buildRuntimeRelease({
    runtimeDir: join(import.meta.dirname, '../../packages/runtime'),
    outDir: join(outDir, 'rt'),
    version: 'rt-host-key',
    node: { kind: 'system' },
  });
  await bootstrapBox({ pool: setup, target: fleet.target(box), systemNode: true });
  expect((await deployToBox({ pool: setup, target: fleet.target(box), release, deployId: 'hk' })).outcome).toBe(
    'succeeded',
  );
  await setup.close(2_000);

  t = await startTenantTestApp();
  tenant = await signUp(t.app, 'host-key');
  boxId = await registerTestBox(t, tenant.tenantId, box, fleet.loginKey);
  const chain = await t.prisma.chain.create({ data: { tenantId: tenant.tenantId, name: 'hk' } });
  // A run the box knows nothing of: reading its step output asks the box (which answers that there is none).
  runId = (
    await t.prisma.run.create({
      data: { tenantId: tenant.tenantId, boxId, chainId: chain.id, runtimeRunId: 'hk-1', status: 'succeeded' },
    })
  ).id;
  await t.prisma.runStep.create({
    data: { tenantId: tenant.tenantId, runId, name: 'a', position: 0, status: 'succeeded' },
  });
  await createOperator(t.prisma, 'ops-hk@example.com', 'operator password hk');
  operatorToken = await loginAs(t.app, 'ops-hk@example.com', 'operator password hk');
  workerSsh = new SshPool({
    timeouts: { connectMs: 10_000 },
    recorder: createPrismaFleetRecorder({ prisma: t.prisma }, { actor: { type: 'system', label: 'worker hk' } }),
  });
  pool = new pg.Pool({ connectionString: t.databaseUrl, max: 4 });
}, 240_000);

afterAll(async () => {
  await workerSsh?.close(2_000);
  await pool?.end();
  await t?.close();
  await fleet?.destroy();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

const readOutput = () =>
  t.app.inject({ method: 'GET', url: `/v1/runs/${runId}/steps/a/output`, headers: tenant.headers });
const repin = (headers: Record<string, string>, fingerprint: string) =>
  t.app.inject({
    method: 'POST',
    url: `/v1/operator/boxes/${boxId}/host-key`,
    headers,
    payload: { fingerprint, reason: 'box rebuilt from its snapshot; key checked on the console' },
  });
const hostKeyAlerts = () => t.prisma.alert.findMany({ where: { boxId, code: 'host_key_changed' } });
const mismatchAudits = () =>
  t.prisma.auditLog.findMany({ where: { targetId: boxId, action: 'box.host_key.mismatch' } });

describe('a box whose host key changed', () => {
  it('is recorded once, refused with box_host_key_changed, and serves again after an operator re-pins it', async () => {
    const box = fleet.boxes[0]!;
    const before = await readOutput();
    expect(before.statusCode, before.body).toBe(404); // the box answered: the run has no output there
    const pinned = box.hostKeyFingerprint;

    const presented = await box.rotateHostKey();
    await box.dropConnections(); // sessions opened under the old key end, as after a reinstall

    // The tenant, through the API: a clear code, not a retry hint, however often it asks.
    for (let i = 0; i < 3; i++) {
      const refused = await readOutput();
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error.code).toBe('box_host_key_changed');
      expect(refused.json().error.message).not.toMatch(/try again/i);
    }
    let alerts = await hostKeyAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'critical', status: 'open', occurrences: 3 });
    expect(alerts[0]!.details).toMatchObject({ expected: pinned, presented });
    const audits = await mismatchAudits();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actorLabel: 'api', tenantId: tenant.tenantId });
    expect(audits[0]!.details).toMatchObject({ expected: pinned, presented });
    let row = await t.prisma.box.findUniqueOrThrow({ where: { id: boxId } });
    expect(row.status).toBe('unreachable');
    expect(row.statusReason).toContain(presented);

    // A worker's collector meets it too (its own pool, the same recorder): the one alert is bumped, nothing more.
    const collector: RunningCollector = await startCollector({
      pool,
      vault: t.vault,
      ssh: workerSsh,
      ownerId: 'hk-worker',
      log: { info: () => {}, warn: () => {}, error: () => {} },
      timings: { leaseMs: 5_000, tickMs: 200, healthMs: 300, reopenDelayMs: { initial: 50, max: 400 } },
    });
    try {
      await waitFor('the collector to meet the changed key', async () => {
        const [alert] = await hostKeyAlerts();
        return alert && alert.occurrences > 4 ? alert : undefined;
      });
      expect(await hostKeyAlerts()).toHaveLength(1);
      expect(await mismatchAudits()).toHaveLength(1);
      // Operators see the box unreachable, and the collector's backoff on it.
      const health = await waitFor('the reconnect state in the box health', async () => {
        const reply = await t.app.inject({
          method: 'GET',
          url: `/v1/operator/boxes/${boxId}/health`,
          headers: { authorization: `Bearer ${operatorToken}` },
        });
        expect(reply.statusCode).toBe(200);
        const body = reply.json() as { status: string; reconnect: { failures: number; lastError: string } | null };
        return body.reconnect && body.reconnect.failures > 0 && body.reconnect.lastError ? body : undefined;
      });
      expect(health).toMatchObject({ status: 'unreachable' });
      expect(health.reconnect?.lastError).toMatch(/host key/);

      // The tenant cannot re-pin (no operator session), whatever key it names.
      const byTenant = await repin(tenant.headers, presented);
      expect(byTenant.statusCode).toBe(401);
      // An operator's wrong fingerprint is refused by the box itself: nothing changes.
      const impostor = generateSshKeyPair('not the box').fingerprint;
      const wrong = await repin({ authorization: `Bearer ${operatorToken}` }, impostor);
      expect(wrong.statusCode).toBe(409);
      row = await t.prisma.box.findUniqueOrThrow({ where: { id: boxId } });
      expect(row).toMatchObject({ hostKeyFingerprint: pinned, status: 'unreachable' });
      expect((await hostKeyAlerts())[0]!.status).toBe('open');

      const repinned = await repin({ authorization: `Bearer ${operatorToken}` }, presented);
      expect(repinned.statusCode, repinned.body).toBe(200);
      expect(repinned.json()).toMatchObject({ previous: pinned, fingerprint: presented, status: 'ready' });
      alerts = await hostKeyAlerts();
      expect(alerts.map((a) => a.status)).toEqual(['resolved']);
      const audit = await t.prisma.auditLog.findMany({ where: { targetId: boxId, action: 'box.host_key.repinned' } });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actorType: 'user', actorLabel: 'ops-hk@example.com' });
      expect(audit[0]!.details).toMatchObject({ previous: pinned, fingerprint: presented });

      // The tenant's request reaches the box again, and the collector's next attempt does too.
      const after = await readOutput();
      expect(after.statusCode, after.body).toBe(404);
      await waitFor('the collector to reach the box again', async () => {
        const { rows } = await pool.query<{ reconnect_failures: number; status: string }>(
          `SELECT c.reconnect_failures, b.status FROM collector_cursors c JOIN boxes b ON b.id = c.box_id
            WHERE c.box_id = $1`,
          [boxId],
        );
        return rows[0]?.reconnect_failures === 0 && collector.collector.box(boxId)?.boxChannel.isOpen;
      });
      expect(await hostKeyAlerts()).toHaveLength(1);
      expect(await mismatchAudits()).toHaveLength(1);
    } finally {
      await collector.stop();
    }
  });
});
