import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_COLLECTOR_BUFFER_BYTES, MAX_EVENT_BYTES, MAX_SERVE_LINE_BYTES } from '@paddock/contracts';
import {
  BoxChannel,
  bootstrapBox,
  buildRuntimeRelease,
  DEFAULT_BOX_LAYOUT,
  deployToBox,
  type SshPool,
  sh,
  sshTransport,
} from '@paddock/fleet';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import { createVault } from '@paddock/vault';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '@paddock/services';
import { createTestFleet, type TestFleet } from '../fleet/support/test-boxes';
import { SHORT_CHAIN } from './support/chains';
import { eventsOnBox, runRow, storedEventKeys } from './support/expectations';
import { HOSTILE_EVENTS_SCRIPT } from './support/hostile-events';
import { createLocalRuntime, type LocalRuntime } from './support/local-runtime';
import { waitFor } from '../support/wait-for';
import { priceChainModels, seedBox, seedChain, seedReachableBox, seedTenant } from './support/seed';

// A hostile tenant's real test box (sshd in its own namespaces, a runtime release deployed by packages/fleet, the
// collector reaching it over SSH) writes event files that lie in every field the runtime lets through, plus a flood
// of serve lines past the limit, while another tenant's box is collected by the same collector. Before: the seq
// 3,000,000,000 event failed every batch, so nothing after it was ever collected; the flood was held and stored whole.
const FLOOD = { count: 12, bytes: 10 * 1024 * 1024 };
const RUNTIME_USER = DEFAULT_BOX_LAYOUT.runtimeUser;

let fleet: TestFleet;
let ssh: SshPool;
let db: TestDatabase;
let pool: pg.Pool;
let outDir: string;
let other: LocalRuntime;
const vault = createVault(randomBytes(32).toString('base64'));

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'paddock-hostile-box-'));
  [fleet, db] = await Promise.all([createTestFleet(1), createTestDatabase()]);
  pool = new pg.Pool({ connectionString: db.url, max: 8 });
  await priceChainModels(pool); // the charge then equals what the chains' steps report
  ssh = fleet.pool();
  const release = await buildRuntimeRelease({
    runtimeDir: join(import.meta.dirname, '../../packages/runtime'),
    outDir: join(outDir, 'rt-hostile'),
    version: 'rt-hostile',
    node: { kind: 'system' },
  });
  const target = fleet.target(fleet.boxes[0]!);
  await bootstrapBox({ pool: ssh, target, systemNode: true });
  const deployed = await deployToBox({ pool: ssh, target, release, deployId: 'hostile-1' });
  expect(deployed.error).toBeUndefined();
  other = createLocalRuntime('hostile-other-');
  other.file('short.yaml', SHORT_CHAIN);
  await other.startDaemon();
}, 240_000);

afterAll(async () => {
  await other?.cleanup();
  await pool?.end();
  await db?.drop();
  await fleet?.destroy();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

async function asRuntimeUser(command: ReturnType<typeof sh>) {
  const connection = await ssh.connect(fleet.target(fleet.boxes[0]!));
  const done = await connection.exec(sh`runuser -u ${RUNTIME_USER} -- ${command}`);
  expect(done.exitCode, done.stderr).toBe(0);
}

describe('a hostile box next to an honest one', () => {
  it('quarantines every lie, collects its valid events exactly once, and never stalls or touches the other tenant', async () => {
    const box = fleet.boxes[0]!;
    const hostile = await seedReachableBox(pool, vault, box, fleet.loginKey, 'short');
    const otherTenant = await seedTenant(pool);
    const otherBox = await seedBox(pool, otherTenant);
    const otherChain = await seedChain(pool, otherTenant, 'short');
    // The other tenant's run as the control plane starts runs: its row first, named by its id.
    const otherRunId = randomUUID();
    await pool.query(`INSERT INTO runs (id, tenant_id, box_id, chain_id, runtime_run_id) VALUES ($1, $2, $3, $4, $5)`, [
      otherRunId,
      otherTenant,
      otherBox,
      otherChain.chainId,
      otherRunId,
    ]);

    const collector = new Collector({
      pool,
      ownerId: 'hostile-test',
      leaseMs: 5_000,
      catchUpMs: 1_000,
      healthMs: 60_000,
      connector: {
        transport: (claimed) => (claimed.boxId === hostile.boxId ? sshTransport(ssh, fleet.target(box)) : other.serve),
      },
      log: { info: () => {}, warn: () => {}, error: () => {} },
    });
    await collector.start();
    const driver = new BoxChannel({ boxId: hostile.boxId, open: sshTransport(ssh, fleet.target(box)) });
    const otherDriver = new BoxChannel({ boxId: otherBox, open: other.serve });
    try {
      expect(collector.owned().sort()).toEqual([hostile.boxId, otherBox].sort());
      await driver.request({ op: 'run', text: SHORT_CHAIN, run_id: 'before-1' });
      await waitFor('the run before to succeed', () => runRow(pool, hostile.boxId, 'before-1', 'succeeded'), 60_000);

      // The lies and the flood, written as the runtime user; the other tenant's run goes meanwhile.
      await Promise.all([
        asRuntimeUser(
          sh`node -e ${HOSTILE_EVENTS_SCRIPT} ${DEFAULT_BOX_LAYOUT.dataDir} ${otherRunId} ${String(FLOOD.count)} ${String(FLOOD.bytes)}`,
        ),
        otherDriver.request({ op: 'run', file: 'short.yaml', run_id: otherRunId }),
      ]);
      await driver.request({ op: 'run', text: SHORT_CHAIN, run_id: 'after-1' });

      const quarantined = await waitFor(
        'every lie quarantined',
        async () => {
          const { rows } = await pool.query<{ reason: string; runtime_run_id: string; seq: string; tenant_id: string }>(
            `SELECT reason, runtime_run_id, seq::text AS seq, tenant_id FROM quarantined_events WHERE box_id = $1`,
            [hostile.boxId],
          );
          return rows.length >= 8 + FLOOD.count ? rows : undefined;
        },
        120_000,
      );
      const reasons = quarantined.map((r) => `${r.runtime_run_id}:${r.seq}:${r.reason}`).sort();
      expect(reasons).toEqual(
        [
          'hostile-1:3000000000:seq_out_of_range',
          'hostile-1:2:tokens_out_of_range',
          'hostile-1:3:tokens_out_of_range',
          'hostile-1:4:cost_out_of_range',
          'hostile-1:5:data_too_deep',
          'hostile-1:6:invalid_event',
          'hostile-1:7:event_too_large',
          ...Array.from({ length: FLOOD.count }, (_, i) => `hostile-1:${8 + i}:line_too_long`),
          `${otherRunId}:1:foreign_run`,
        ].sort(),
      );
      expect(quarantined.every((r) => r.tenant_id === hostile.tenantId)).toBe(true);

      // Collection went on past every lie: the run after them and the lying run's own valid end are in Postgres.
      await waitFor('the run after to succeed', () => runRow(pool, hostile.boxId, 'after-1', 'succeeded'), 60_000);
      await waitFor('the lying run to end', () => runRow(pool, hostile.boxId, 'hostile-1', 'succeeded'), 60_000);
      const keys = await storedEventKeys(pool, hostile.boxId);
      for (const runId of ['before-1', 'after-1']) {
        const onBox = (await driver.request({ op: 'events', run_id: runId, limit: 1000 })).events;
        expect(onBox.length).toBeGreaterThan(0);
        for (const e of onBox) expect(keys.get(`${runId}:${e.seq}`)).toBe(1);
      }
      const hostileKeys = [...keys.keys()].filter((k) => k.startsWith('hostile-1:')).sort();
      expect(hostileKeys).toEqual(['hostile-1:1', `hostile-1:${8 + FLOOD.count}`]);
      const stored = await pool.query<{ bytes: string }>(
        `SELECT COALESCE(max(octet_length(payload::text)), 0)::text AS bytes FROM usage_events WHERE box_id = $1`,
        [hostile.boxId],
      );
      expect(Number(stored.rows[0]?.bytes)).toBeLessThanOrEqual(MAX_EVENT_BYTES);

      // Memory: the collector never held more than its bound plus one event; the flood's lines were never held.
      const stats = collector.box(hostile.boxId)?.stats;
      expect(stats?.peakHeldBytes).toBeLessThanOrEqual(MAX_COLLECTOR_BUFFER_BYTES + MAX_EVENT_BYTES);
      expect(stats?.peakHeldBytes).toBeLessThan(MAX_SERVE_LINE_BYTES);
      expect(stats?.restarts).toBe(0);

      // The other tenant: all of its events collected, its run whole, nothing written for it by the hostile box.
      await waitFor('the other run to succeed', () => runRow(pool, otherBox, otherRunId, 'succeeded'), 60_000);
      const otherOnBox = await eventsOnBox(other);
      const otherKeys = await waitFor('every event of the other box', async () => {
        const found = await storedEventKeys(pool, otherBox);
        return found.size >= otherOnBox.length ? found : undefined;
      });
      expect([...otherKeys.keys()].sort()).toEqual(otherOnBox.map((e) => `${e.run_id}:${e.seq}`).sort());
      expect([...otherKeys.values()].every((n) => n === 1)).toBe(true);
      const leaked = await pool.query(
        `SELECT count(*)::int AS n FROM usage_events
          WHERE (tenant_id = $1 AND box_id <> $2) OR (box_id = $3 AND (runtime_run_id = $4 OR run_id = $5))`,
        [otherTenant, otherBox, hostile.boxId, otherRunId, otherRunId],
      );
      expect(leaked.rows[0].n).toBe(0);
      const otherRun = await runRow(pool, otherBox, otherRunId, 'succeeded');
      expect(otherRun).toMatchObject({ tokens_in: 60, tokens_out: 6, cost: '6000' });
    } finally {
      await driver.close();
      await otherDriver.close();
      await collector.stop();
    }
  }, 300_000);
});
