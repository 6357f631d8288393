import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BoxChannel,
  bootstrapBox,
  buildRuntimeRelease,
  DEFAULT_BOX_LAYOUT,
  deployToBox,
  layoutPaths,
  type SshPool,
  sh,
  sshTransport,
} from '@paddock/fleet';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import { createVault } from '@paddock/vault';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from '@paddock/services';
import { runRow } from '../collect/support/expectations';
import { waitFor } from '../support/wait-for';
import { seedReachableBox } from '../collect/support/seed';
import { createTestFleet, type TestFleet } from '../fleet/support/test-boxes';

// A box without systemd (a local test box): root's supervisor in paddock-service brings the runtime daemon back when
// the runtime user kills it, the interrupted step is run again by the new daemon, and the run reaches Postgres as
// succeeded through the collector: no run stays `running` on a box whose daemon died.
let fleet: TestFleet;
let ssh: SshPool;
let db: TestDatabase;
let pool: pg.Pool;
let outDir: string;
const vault = createVault(randomBytes(32).toString('base64'));
const service = layoutPaths(DEFAULT_BOX_LAYOUT).service;
const SLOW_CHAIN =
  'name: slow\nagents:\n  wait:\n    run: sleep 4; echo slow-done\n  after:\n    needs: [wait]\n    run: echo after\n';

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'paddock-supervise-'));
  [fleet, db] = await Promise.all([createTestFleet(1), createTestDatabase()]);
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
  ssh = fleet.pool();
  const release = await buildRuntimeRelease({
    runtimeDir: join(import.meta.dirname, '../../packages/runtime'),
    outDir: join(outDir, 'rt'),
    version: 'rt-supervise',
    node: { kind: 'system' },
  });
  const target = fleet.target(fleet.boxes[0]!);
  const booted = await bootstrapBox({ pool: ssh, target, systemNode: true });
  expect(booted.serviceMode).toBe('supervised');
  const deployed = await deployToBox({ pool: ssh, target, release, deployId: 'supervise-1' });
  expect(deployed.error).toBeUndefined();
}, 240_000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
  await fleet?.destroy();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('the runtime daemon on a box without systemd', () => {
  it('comes back after the runtime user kills it, and its interrupted run finishes', async () => {
    const box = fleet.boxes[0]!;
    const target = fleet.target(box);
    const connection = await ssh.connect(target);
    const daemonPid = async () => {
      const result = await connection.exec(sh`${service} status`, { okExitCodes: [0, 3] });
      return result.exitCode === 0 ? Number(result.stdout.trim()) : undefined;
    };
    const { boxId } = await seedReachableBox(pool, vault, box, fleet.loginKey, 'slow');
    const running: RunningCollector = await startCollector({
      pool,
      vault,
      ssh,
      ownerId: 'supervise-worker',
      log: { info: () => {}, warn: () => {}, error: () => {} },
      timings: { leaseMs: 5_000, healthMs: 500, catchUpMs: 1_000, reopenDelayMs: { initial: 50, max: 1_000 } },
    });
    const driver = new BoxChannel({ boxId, open: sshTransport(ssh, target) });
    try {
      const first = await daemonPid();
      expect(first).toBeGreaterThan(1);
      await driver.request({ op: 'run', text: SLOW_CHAIN, run_id: 'sup-1' });
      await waitFor('the slow step to run', async () => {
        const status = await driver.request({ op: 'status', run_id: 'sup-1' });
        return status.steps.find((s) => s.step === 'wait')?.status === 'running';
      });
      await waitFor('the run as running in Postgres', () => runRow(pool, boxId, 'sup-1', 'running'));

      // An agent of the runtime user kills the daemon: what a tenant's code can do.
      await connection.exec(
        sh`runuser -u ${DEFAULT_BOX_LAYOUT.runtimeUser} -- sh -c ${'read -r p < "$1/daemon.pid" && kill -KILL "$p"'} sh ${DEFAULT_BOX_LAYOUT.dataDir}`,
      );
      const second = await waitFor('a new daemon', async () => {
        const pid = await daemonPid();
        return pid !== undefined && pid !== first ? pid : undefined;
      });
      expect(second).not.toBe(first);

      // The new daemon runs the interrupted step again and finishes the run; the collector stores it.
      const done = await waitFor('the run to succeed in Postgres', () => runRow(pool, boxId, 'sup-1', 'succeeded'));
      expect(done.status).toBe('succeeded');
      const onBox = await driver.request({ op: 'status', run_id: 'sup-1' });
      expect(onBox.steps.map((s) => [s.step, s.status])).toEqual([
        ['wait', 'complete'],
        ['after', 'complete'],
      ]);
      // And the box is judged ready again by its health beat (the new daemon's heartbeat is fresh).
      await waitFor('the box ready with a running daemon', async () => {
        const { rows } = await pool.query<{ status: string; running: boolean }>(
          `SELECT status, (health->'daemon'->>'running')::boolean AS running FROM boxes WHERE id = $1`,
          [boxId],
        );
        return rows[0]?.status === 'ready' && rows[0].running;
      });

      // A deliberate stop is not undone by the supervisor: stop, then start brings exactly one daemon back.
      await connection.exec(sh`${service} stop`);
      expect(await daemonPid()).toBeUndefined();
      await connection.exec(sh`${service} start`);
      expect(await daemonPid()).toBeGreaterThan(1);
    } finally {
      await driver.close();
      await running.stop();
    }
  });
});
