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
import { runRow, storedEventKeys } from '../collect/support/expectations';
import { waitFor } from '../support/wait-for';
import { seedChain, seedReachableBox } from '../collect/support/seed';
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
/** The tenant and box row of the first test (the reboot test goes on with the same box). */
let seeded: { tenantId: string; boxId: string } | undefined;
const flag = `/tmp/paddock-reboot-${randomBytes(6).toString('hex')}`;
const USAGE = (n: number) =>
  `echo '::usage {"model":"m-${n}","input_tokens":${n * 10},"output_tokens":${n},"cost_usd":0.00${n}}'`;
const REBOOT_CHAIN = `name: reboot
agents:
  first:
    run: ${USAGE(1)}
  hold:
    needs: [first]
    run: ${USAGE(2)}; while [ ! -e ${flag} ]; do sleep 0.2; done; echo released
  last:
    needs: [hold]
    run: ${USAGE(3)}
`;
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
    seeded = await seedReachableBox(pool, vault, box, fleet.loginKey, 'slow');
    const { boxId } = seeded;
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
  it('comes back after a reboot (every process of the box gone, then the service started): the run resumes, its usage stored once', async () => {
    if (!seeded) throw new Error('the first test seeds the box');
    const { tenantId, boxId } = seeded;
    await seedChain(pool, tenantId, 'reboot');
    const box = fleet.boxes[0]!;
    const target = fleet.target(box);
    const running: RunningCollector = await startCollector({
      pool,
      vault,
      ssh,
      ownerId: 'reboot-worker',
      log: { info: () => {}, warn: () => {}, error: () => {} },
      timings: { leaseMs: 5_000, healthMs: 500, catchUpMs: 1_000, reopenDelayMs: { initial: 50, max: 1_000 } },
    });
    const driver = new BoxChannel({ boxId, open: sshTransport(ssh, target) });
    try {
      await driver.request({ op: 'run', text: REBOOT_CHAIN, run_id: 'reboot-1' });
      // The first step's usage is stored and the held step is running when the box goes down.
      await waitFor('the held step running in Postgres, the first one stored', async () => {
        const { rows } = await pool.query<{ name: string; status: string }>(
          `SELECT s.name, s.status FROM run_steps s JOIN runs r ON r.id = s.run_id
            WHERE r.box_id = $1 AND r.runtime_run_id = 'reboot-1'`,
          [boxId],
        );
        const status = (name: string) => rows.find((r) => r.name === name)?.status;
        return status('first') === 'succeeded' && status('hold') === 'running';
      });
      expect(await box.killProcesses()).toBeGreaterThan(0);
      await waitFor('the box to answer SSH again', async () => {
        const connection = await ssh.connect(target);
        await connection.exec(sh`${service} start`);
        return true;
      });
      const connection = await ssh.connect(target);
      await connection.exec(sh`touch ${flag}`);

      const done = await waitFor('the run to succeed in Postgres', () => runRow(pool, boxId, 'reboot-1', 'succeeded'));
      // Nothing lost, nothing stored twice: Postgres holds exactly the box's events of the run, each once.
      const onBox = (await driver.request({ op: 'events', run_id: 'reboot-1', limit: 1000 })).events;
      const stored = await waitFor('every event of the run stored', async () => {
        const keys = await storedEventKeys(pool, boxId);
        const mine = [...keys].filter(([key]) => key.startsWith('reboot-1:'));
        return mine.length >= onBox.length ? mine : undefined;
      });
      expect(stored.map(([key]) => key).sort()).toEqual(onBox.map((e) => `${e.run_id}:${e.seq}`).sort());
      expect(stored.every(([, n]) => n === 1)).toBe(true);
      // The run's totals are its usage events' sum (the held step's usage repeated by its retry counts as reported).
      expect(done).toMatchObject({
        tokens_in: onBox.reduce((n, e) => n + (e.input_tokens ?? 0), 0),
        tokens_out: onBox.reduce((n, e) => n + (e.output_tokens ?? 0), 0),
      });
      // The held step ran again after the reboot: a second attempt, which completed.
      const { rows: attempts } = await pool.query<{ attempt: number; status: string }>(
        `SELECT s.attempt, s.status FROM run_steps s JOIN runs r ON r.id = s.run_id
          WHERE r.box_id = $1 AND r.runtime_run_id = 'reboot-1' AND s.name = 'hold' ORDER BY s.attempt`,
        [boxId],
      );
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(attempts.at(-1)?.status).toBe('succeeded');
    } finally {
      await driver.close();
      await running.stop();
    }
  }, 180_000);
});
