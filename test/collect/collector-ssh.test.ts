import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '@paddock/contracts';
import {
  BoxChannel,
  bootstrapBox,
  buildRuntimeRelease,
  deployToBox,
  type SshPool,
  sh,
  sshTransport,
} from '@paddock/fleet';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import { createVault } from '@paddock/vault';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from '@paddock/services';
import { createTestFleet, type TestFleet } from '../fleet/support/test-boxes';
import { REVIEW_CHAIN } from './support/chains';
import { runRow } from './support/expectations';
import { waitFor } from '../support/wait-for';
import { priceChainModels, seedReachableBox } from './support/seed';

// The collector as a worker runs it: startCollector with a pg pool, a vault and an SSH pool, reaching a real test
// box (sshd in its own namespaces) that runs a real runtime release deployed by packages/fleet.
let fleet: TestFleet;
let ssh: SshPool;
let db: TestDatabase;
let pool: pg.Pool;
let outDir: string;
const vault = createVault(randomBytes(32).toString('base64'));
/** The tenant and box row of the first test (the later ones go on with the same box and its cursor). */
let seeded: { tenantId: string; boxId: string } | undefined;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'paddock-collect-ssh-'));
  [fleet, db] = await Promise.all([createTestFleet(1), createTestDatabase()]);
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
  await priceChainModels(pool); // the charge then equals what the chains' steps report
  ssh = fleet.pool();
  const release = await buildRuntimeRelease({
    runtimeDir: join(import.meta.dirname, '../../packages/runtime'),
    outDir: join(outDir, 'rt-collect'),
    version: 'rt-collect',
    node: { kind: 'system' },
  });
  const target = fleet.target(fleet.boxes[0]!);
  await bootstrapBox({ pool: ssh, target, systemNode: true });
  const deployed = await deployToBox({ pool: ssh, target, release, deployId: 'collect-1' });
  expect(deployed.error).toBeUndefined();
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
  await fleet?.destroy();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('startCollector over real SSH to a deployed test box', () => {
  it('streams a run with a decision into Postgres exactly once and records the box health', async () => {
    const box = fleet.boxes[0]!;
    seeded = await seedReachableBox(pool, vault, box, fleet.loginKey, 'review');
    const { boxId } = seeded;
    const logged: string[] = [];
    const log = {
      info: (_: object, message: string) => logged.push(message),
      warn: (_: object, message: string) => logged.push(message),
      error: (_: object, message: string) => logged.push(message),
    };
    const running: RunningCollector = await startCollector({
      pool,
      vault,
      ssh,
      ownerId: 'ssh-worker',
      log,
      timings: { leaseMs: 3_000, healthMs: 500, catchUpMs: 1_000 },
    });
    // What the tenant API does on the box: its own channel, same SSH pool.
    const driver = new BoxChannel({ boxId, open: sshTransport(ssh, fleet.target(box)) });
    try {
      expect(running.collector.owned()).toEqual([boxId]);
      await driver.request({ op: 'run', text: REVIEW_CHAIN, run_id: 'ssh-1' });
      const pending = await waitFor(
        'the pending decision in Postgres',
        async () => {
          const { rows } = await pool.query<{ status: string; prompt: string }>(
            `SELECT d.status, d.prompt FROM decisions d JOIN runs r ON r.id = d.run_id
              WHERE r.box_id = $1 AND r.runtime_run_id = 'ssh-1'`,
            [boxId],
          );
          return rows[0] ? { ...rows[0], seenAt: Date.now() } : undefined;
        },
        30_000,
        5,
      );
      expect(pending).toMatchObject({ status: 'pending', prompt: 'Publish the draft?' });
      const events = await driver.request({ op: 'events', limit: 1000 });
      const written = events.events.find((e) => e.kind === 'decision_pending');
      expect(written).toBeDefined();
      // Measured, not asserted (timings on a shared machine): from the box writing the event (its timestamp, same
      // clock: the test box runs on this machine) to the row being readable in Postgres.
      console.log(`decision latency over SSH: ${pending.seenAt - Date.parse((written as RunEvent).timestamp)} ms`);

      // The SSH link drops (every session on the box killed): the collector's channel reopens by itself and its
      // stream resumes from the committed cursor; what the box writes meanwhile arrives late, never lost or doubled.
      const boxCollector = running.collector.box(boxId);
      expect(boxCollector).toBeDefined();
      expect(boxCollector?.boxChannel.isOpen).toBe(true);
      expect(await box.dropConnections()).toBeGreaterThan(0);
      await waitFor('the collector channel to notice the drop', () => !boxCollector?.boxChannel.isOpen, 10_000, 5);
      // The driver's session was killed too: a decide sent before its channel notices would fail with it (this raw
      // channel does not settle a lost decide the way the API's gateway does), so wait until it opens a fresh one.
      await waitFor('the driver channel to notice the drop', () => !driver.isOpen, 10_000, 5);
      await driver.request({ op: 'decide', run_id: 'ssh-1', step: 'review', option: 'approve', by: 'alice' });
      const run = await waitFor('the run to succeed in Postgres', () => runRow(pool, boxId, 'ssh-1', 'succeeded'));
      expect(run).toMatchObject({ tokens_in: 30, tokens_out: 3, cost: '3000' });
      const onBox = (await driver.request({ op: 'events', limit: 1000 })).events;
      const stored = await waitFor('every event stored', async () => {
        const { rows } = await pool.query<{ key: string }>(
          `SELECT runtime_run_id || ':' || seq AS key FROM usage_events WHERE box_id = $1 ORDER BY 1`,
          [boxId],
        );
        return rows.length >= onBox.length ? rows.map((r) => r.key) : undefined;
      });
      expect(stored).toEqual(onBox.map((e) => `${e.run_id}:${e.seq}`).sort());

      const health = await waitFor('box health from the runtime and the machine probe', async () => {
        const { rows } = await pool.query(
          `SELECT last_seen_at, runtime_version, health, load1, disk_total_bytes::text AS disk,
                  disk_used_bytes::text AS disk_used, mem_total_bytes::text AS mem
             FROM boxes WHERE id = $1 AND health IS NOT NULL AND disk_total_bytes IS NOT NULL`,
          [boxId],
        );
        return rows[0];
      });
      expect(health.runtime_version).toBe(health.health.version);
      expect(health.runtime_version).toMatch(/^\d+\.\d+/);
      expect(health.health).toMatchObject({ ok: true, root: '/var/lib/paddock' });
      expect(Number(health.disk)).toBeGreaterThan(Number(health.disk_used));
      expect(Number(health.mem)).toBeGreaterThan(0);
      expect(health.load1).toBeGreaterThanOrEqual(0);
      expect(Date.now() - health.last_seen_at.getTime()).toBeLessThan(60_000);
    } finally {
      await driver.close();
      await running.stop();
    }
    const lease = await pool.query('SELECT owner_id FROM collector_cursors WHERE box_id = $1', [boxId]);
    expect(lease.rows).toEqual([{ owner_id: null }]);
    expect(logged).toContain('collecting box');
  });

  it('sends the box its plan caps, which the box then holds on its own', async () => {
    if (!seeded) throw new Error('the first test seeds the box');
    const { tenantId, boxId } = seeded;
    const box = fleet.boxes[0]!;
    await pool.query(
      `UPDATE plans SET limits = '{"maxConcurrentRuns": 0}' WHERE id = (SELECT plan_id FROM tenants WHERE id = $1)`,
      [tenantId],
    );
    const running = await startCollector({
      pool,
      vault,
      ssh,
      ownerId: 'ssh-worker-caps',
      log: { info: () => {}, warn: () => {}, error: () => {} },
      timings: { leaseMs: 3_000, healthMs: 500, catchUpMs: 1_000 },
    });
    const driver = new BoxChannel({ boxId, open: sshTransport(ssh, fleet.target(box)) });
    try {
      // Read as the runtime user (its file): the collector's caps, as the control plane computed them.
      const connection = await ssh.connect(fleet.target(box));
      await waitFor('the caps on the box', async () => {
        const read = await connection.exec(sh`runuser -u paddock -- cat /var/lib/paddock/caps.json`, {
          okExitCodes: [0, 1],
        });
        return read.exitCode === 0 && JSON.parse(read.stdout).max_concurrent_runs === 0;
      });
      // A run asked of the box directly (no API admission): the box refuses it, and the refusal is collected.
      await driver.request({ op: 'run', text: REVIEW_CHAIN, run_id: 'ssh-capped' });
      const run = await waitFor('the refused run in Postgres', () => runRow(pool, boxId, 'ssh-capped', 'failed'));
      const { rows } = await pool.query<{ error: string }>('SELECT error FROM runs WHERE id = $1', [run.id]);
      expect(rows[0]?.error).toBe(
        'plan_limit_reached: the plan allows at most 0 runs at once on this box and 0 are active',
      );
    } finally {
      await driver.close();
      await running.stop();
    }
  });
});
