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

// A box whose runtime daemon does not come back (stopped for good, beyond its supervisor): after the configured
// time its runs are `lost` with the reason and one `runs_lost` alert; when the daemon returns, the box is asked for
// each lost run, the one it still has moves on (and finishes, its usage counted once), one it lacks stays lost.
let fleet: TestFleet;
let ssh: SshPool;
let db: TestDatabase;
let pool: pg.Pool;
let outDir: string;
const connectionsClosed: Promise<void>[] = [];
const vault = createVault(randomBytes(32).toString('base64'));
const service = layoutPaths(DEFAULT_BOX_LAYOUT).service;
const LOST_MS = 2_000;
const flag = `/tmp/paddock-lost-runs-${randomBytes(6).toString('hex')}`;
const USAGE = (n: number) =>
  `echo '::usage {"model":"m-${n}","input_tokens":${n * 10},"output_tokens":${n},"cost_usd":0.00${n}}'`;
const CHAIN = `name: held
agents:
  first:
    run: ${USAGE(1)}
  hold:
    needs: [first]
    run: while [ ! -e ${flag} ]; do sleep 0.2; done; echo released
  last:
    needs: [hold]
    run: ${USAGE(3)}
`;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'paddock-lost-runs-'));
  [fleet, db] = await Promise.all([createTestFleet(1), createTestDatabase()]);
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
  // pool.end() resolves before its connections have closed; dropping the database then terminates them and the
  // server's FATAL reaches a client with no listener left (an unhandled error). Teardown waits for each to end.
  pool.on('connect', (client) => {
    connectionsClosed.push(new Promise((resolve) => client.once('end', () => resolve())));
  });
  ssh = fleet.pool();
  const release = await buildRuntimeRelease({
    runtimeDir: join(import.meta.dirname, '../../packages/runtime'),
    outDir: join(outDir, 'rt'),
    version: 'rt-lost-runs',
    node: { kind: 'system' },
  });
  const target = fleet.target(fleet.boxes[0]!);
  await bootstrapBox({ pool: ssh, target, systemNode: true });
  const deployed = await deployToBox({ pool: ssh, target, release, deployId: 'lost-runs-1' });
  expect(deployed.error).toBeUndefined();
}, 240_000);

afterAll(async () => {
  await pool?.end();
  await Promise.all(connectionsClosed);
  await db?.drop();
  await fleet?.destroy();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

interface RunFacts {
  status: string;
  error: string | null;
  lost_at: Date | null;
  lost_reason: string | null;
  tokens_in: number;
  tokens_out: number;
}

async function runFacts(boxId: string, runtimeRunId: string): Promise<RunFacts | undefined> {
  const { rows } = await pool.query<RunFacts>(
    `SELECT status, error, lost_at, lost_reason, tokens_in, tokens_out FROM runs
      WHERE box_id = $1 AND runtime_run_id = $2`,
    [boxId, runtimeRunId],
  );
  return rows[0];
}

async function lostAlerts(boxId: string) {
  const { rows } = await pool.query<{ status: string; severity: string; details: { runtimeRunIds: string[] } }>(
    `SELECT status, severity, details FROM alerts WHERE box_id = $1 AND code = 'runs_lost' ORDER BY created_at`,
    [boxId],
  );
  return rows;
}

describe('runs on a box whose daemon never returns', () => {
  it('are marked lost after the set time, alerted, and move on without double counting when the box returns', async () => {
    const box = fleet.boxes[0]!;
    const target = fleet.target(box);
    const connection = await ssh.connect(target);
    const { boxId, tenantId } = await seedReachableBox(pool, vault, box, fleet.loginKey, 'held');
    const running: RunningCollector = await startCollector({
      pool,
      vault,
      ssh,
      ownerId: 'lost-runs-worker',
      log: { info: () => {}, warn: () => {}, error: () => {} },
      timings: {
        leaseMs: 3_000,
        healthMs: 300,
        catchUpMs: 1_000,
        lostRunsMs: LOST_MS,
        reopenDelayMs: { initial: 50, max: 500 },
      },
    });
    const driver = new BoxChannel({ boxId, open: sshTransport(ssh, target) });
    try {
      await driver.request({ op: 'run', text: CHAIN, run_id: 'held-1' });
      await waitFor('the held step to run', async () => {
        const status = await driver.request({ op: 'status', run_id: 'held-1' });
        return status.steps.find((s) => s.step === 'hold')?.status === 'running';
      });
      await waitFor('the run as running in Postgres', () => runRow(pool, boxId, 'held-1', 'running'));

      // The daemon is stopped for good: its supervisor does not undo a deliberate stop, and nothing starts it.
      await connection.exec(sh`${service} stop`);
      const lost = await waitFor('the run marked lost', async () => {
        const facts = await runFacts(boxId, 'held-1');
        return facts?.status === 'lost' ? facts : undefined;
      });
      expect(lost.lost_reason).toMatch(
        /box answers without its runtime daemon: runtime daemon last seen .* \(given up after 2 s\)/,
      );
      expect(lost.error).toBe(lost.lost_reason);
      expect(lost.lost_at).toBeInstanceOf(Date);
      const open = (await lostAlerts(boxId)).filter((a) => a.status === 'open');
      expect(open).toHaveLength(1);
      expect(open[0]?.severity).toBe('critical');
      expect(open[0]?.details.runtimeRunIds).toEqual(['held-1']);
      // A lost run no longer holds one of the tenant's active-run slots.
      const active = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM runs WHERE tenant_id = $1 AND status IN ('queued', 'running', 'waiting_decision')`,
        [tenantId],
      );
      expect(active.rows[0]?.n).toBe(0);

      // The daemon comes back: the box still has the run, so it leaves `lost`, the alert resolves, the interrupted
      // step runs again, and the run finishes with each step's usage counted once.
      await connection.exec(sh`${service} start`);
      await waitFor('the run revived', async () => {
        const facts = await runFacts(boxId, 'held-1');
        return facts && facts.status !== 'lost' && facts.lost_at === null ? facts : undefined;
      });
      await waitFor('the alert resolved', async () => (await lostAlerts(boxId)).every((a) => a.status === 'resolved'));
      await connection.exec(sh`touch ${flag}`);
      await waitFor('the run to succeed', () => runRow(pool, boxId, 'held-1', 'succeeded'));
      const done = await runFacts(boxId, 'held-1');
      expect(done).toMatchObject({ status: 'succeeded', error: null, lost_at: null, lost_reason: null });
      expect([done?.tokens_in, done?.tokens_out]).toEqual([40, 4]);
      const duplicates = await pool.query(
        `SELECT runtime_run_id, seq FROM usage_events WHERE box_id = $1 GROUP BY 1, 2 HAVING count(*) > 1`,
        [boxId],
      );
      expect(duplicates.rows).toEqual([]);

      // A run the control plane knows but the box does not (its files did not survive): lost, and still lost once
      // the daemon is back, saying so; the alert stays open for an operator.
      const { rows: chains } = await pool.query<{ id: string }>(
        `SELECT id FROM chains WHERE tenant_id = $1 AND name = 'held'`,
        [tenantId],
      );
      await pool.query(
        `INSERT INTO runs (tenant_id, box_id, chain_id, runtime_run_id, status, created_at, started_at)
         VALUES ($1, $2, $3, 'ghost-1', 'running', now() - interval '1 hour', now() - interval '1 hour')`,
        [tenantId, boxId, chains[0]?.id],
      );
      await connection.exec(sh`${service} stop`);
      await waitFor('the ghost run lost', async () => (await runFacts(boxId, 'ghost-1'))?.status === 'lost');
      await connection.exec(sh`${service} start`);
      const ghost = await waitFor('the box to answer for the ghost run', async () => {
        const facts = await runFacts(boxId, 'ghost-1');
        return facts?.lost_reason === 'the box came back without this run' ? facts : undefined;
      });
      expect(ghost).toMatchObject({ status: 'lost', error: 'the box came back without this run' });
      const stillOpen = (await lostAlerts(boxId)).filter((a) => a.status === 'open');
      expect(stillOpen).toHaveLength(1);
      expect(stillOpen[0]?.details.runtimeRunIds).toEqual(['ghost-1']);
      expect((await runFacts(boxId, 'held-1'))?.status).toBe('succeeded');
    } finally {
      await driver.close();
      await running.stop();
      await connection.exec(sh`rm -f ${flag}`).catch(() => undefined);
    }
  });
});
