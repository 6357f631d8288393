import { statSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BoxChannel } from '@paddock/fleet';
import { Collector, localSystemFigures } from '@paddock/services';
import { type AppProcess, spawnApp } from '../support/spawn-app';
import { REVIEW_CHAIN, SHORT_CHAIN } from './support/chains';
import { eventsOnBox, runRow, storedEventKeys, usageTotals } from './support/expectations';
import { createLocalRuntime, type LocalRuntime } from './support/local-runtime';
import { waitFor } from '../support/wait-for';
import { priceChainModels, seedBox, seedChain, seedTenant } from './support/seed';

let db: TestDatabase;
let pool: pg.Pool;
const runtimes: LocalRuntime[] = [];
const processes: AppProcess[] = [];
const channels: BoxChannel[] = [];
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 8 });
  await priceChainModels(pool); // the charge then equals what the chains' steps report
});
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
  // Tests share one database: a box of an earlier test must not be collectable (and counted in fair shares) later.
  await pool.query('UPDATE boxes SET destroyed_at = now() WHERE destroyed_at IS NULL');
  await Promise.all(channels.splice(0).map((c) => c.close()));
  await Promise.all(runtimes.splice(0).map((r) => r.cleanup()));
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

async function startRuntime(chains: Record<string, string>): Promise<LocalRuntime> {
  const runtime = createLocalRuntime();
  runtimes.push(runtime);
  for (const [file, text] of Object.entries(chains)) runtime.file(file, text);
  await runtime.startDaemon();
  return runtime;
}

function channelTo(runtime: LocalRuntime): BoxChannel {
  const channel = new BoxChannel({ boxId: 'test-driver', open: runtime.serve });
  channels.push(channel);
  return channel;
}

function startCollectorProcess(owner: string, boxes: Record<string, string>, extra: Record<string, string> = {}) {
  const app = spawnApp('test/collect/support/collector-process.ts', {
    DATABASE_URL: db.url,
    COLLECT_OWNER: owner,
    COLLECT_BOXES: JSON.stringify(boxes),
    COLLECT_LEASE_MS: '1500',
    ...extra,
  });
  processes.push(app);
  return app;
}

async function owners(boxIds: string[]): Promise<Map<string, string | null>> {
  const { rows } = await pool.query<{ box_id: string; owner_id: string | null }>(
    'SELECT box_id, owner_id FROM collector_cursors WHERE box_id = ANY($1::uuid[])',
    [boxIds],
  );
  return new Map(rows.map((r) => [r.box_id, r.owner_id]));
}

async function expectExactlyOnce(boxId: string, runtime: LocalRuntime) {
  const onBox = await eventsOnBox(runtime);
  const stored = await waitFor(
    'every box event in Postgres',
    async () => {
      const keys = await storedEventKeys(pool, boxId);
      return keys.size >= onBox.length ? keys : undefined;
    },
    60_000,
  );
  expect([...stored.keys()].sort()).toEqual(onBox.map((e) => `${e.run_id}:${e.seq}`).sort());
  expect([...stored.values()].every((n) => n === 1)).toBe(true);
  const cursor = await pool.query('SELECT events_ingested::int AS n FROM collector_cursors WHERE box_id = $1', [boxId]);
  expect(cursor.rows[0].n).toBe(onBox.length);
  return onBox;
}

describe('collector on real runtimes and real Postgres', () => {
  it('stores a real run exactly once, with its decision, totals and the box health', async () => {
    const runtime = await startRuntime({ 'review.yaml': REVIEW_CHAIN });
    const tenantId = await seedTenant(pool);
    const boxId = await seedBox(pool, tenantId);
    await seedChain(pool, tenantId, 'review');
    const collector = new Collector({
      pool,
      ownerId: 'in-process',
      leaseMs: 2_000,
      healthMs: 300,
      catchUpMs: 500,
      connector: { transport: () => runtime.serve, probe: () => localSystemFigures(runtime.root) },
      log: quiet,
    });
    await collector.start();
    try {
      expect(collector.owned()).toEqual([boxId]);
      const driver = channelTo(runtime);
      await driver.request({ op: 'run', file: 'review.yaml', run_id: 'run-1' });
      const pending = await waitFor('the pending decision in Postgres', async () => {
        const { rows } = await pool.query(
          `SELECT d.status, d.prompt, d.subject, r.status AS run_status FROM decisions d JOIN runs r ON r.id = d.run_id
            WHERE r.box_id = $1 AND r.runtime_run_id = 'run-1'`,
          [boxId],
        );
        return rows[0];
      });
      expect(pending).toMatchObject({
        status: 'pending',
        prompt: 'Publish the draft?',
        run_status: 'waiting_decision',
      });
      expect(pending.subject.output_path).toMatch(/steps\/draft\/output$/);

      await driver.request({
        op: 'decide',
        run_id: 'run-1',
        step: 'review',
        option: 'approve',
        by: 'alice',
        note: 'ok',
      });
      const run = await waitFor('the run to succeed in Postgres', () => runRow(pool, boxId, 'run-1', 'succeeded'));
      expect(run).toMatchObject({ tokens_in: 30, tokens_out: 3, cost: '3000' });
      expect(run.duration_ms).toBeGreaterThan(0);
      const onBox = await expectExactlyOnce(boxId, runtime);
      expect(onBox.some((e) => e.kind === 'decided')).toBe(true);
      const decision = await pool.query(`SELECT status, note FROM decisions WHERE run_id = $1`, [run.id]);
      expect(decision.rows).toEqual([{ status: 'approved', note: 'ok' }]);
      const steps = await pool.query(`SELECT name, status FROM run_steps WHERE run_id = $1 ORDER BY position`, [
        run.id,
      ]);
      expect(steps.rows).toEqual([
        { name: 'draft', status: 'succeeded' },
        { name: 'review', status: 'succeeded' },
        { name: 'publish', status: 'succeeded' },
      ]);
      // Each agent attempt's output size comes from its ending event and is the size of its output file on the box;
      // the decision step wrote no output (its output_path is the draft it shows).
      const sizes = await pool.query<{ name: string; output_path: string; output_bytes: string | null }>(
        `SELECT name, output_path, output_bytes::text AS output_bytes FROM run_steps WHERE run_id = $1`,
        [run.id],
      );
      const sizeOf = (name: string) => sizes.rows.find((row) => row.name === name);
      for (const name of ['draft', 'publish']) {
        const row = sizeOf(name);
        expect(row?.output_bytes, name).toBe(String(statSync(row?.output_path ?? '').size));
      }
      expect(Number(sizeOf('draft')?.output_bytes)).toBeGreaterThan(0);
      expect(sizeOf('review')?.output_bytes).toBeNull();
      const box = await waitFor('box health', async () => {
        const { rows } = await pool.query(
          `SELECT last_seen_at, runtime_version, health, load1, disk_total_bytes::text AS disk, mem_total_bytes::text AS mem
             FROM boxes WHERE id = $1 AND health IS NOT NULL`,
          [boxId],
        );
        return rows[0];
      });
      expect(box.runtime_version).toMatch(/\d/);
      expect(box.health.root).toBe(runtime.root);
      expect(Number(box.disk)).toBeGreaterThan(0);
      expect(Number(box.mem)).toBeGreaterThan(0);
      expect(box.load1).not.toBeNull();
    } finally {
      await collector.stop();
    }
    expect((await owners([boxId])).get(boxId)).toBeNull();
  }, 150_000);

  it('killed with SIGKILL in the middle of a batch and started again: nothing lost, nothing counted twice', async () => {
    const runtime = await startRuntime({ 'short.yaml': SHORT_CHAIN });
    const tenantId = await seedTenant(pool);
    const boxId = await seedBox(pool, tenantId);
    await seedChain(pool, tenantId, 'short');
    const driver = channelTo(runtime);
    const runIds = Array.from({ length: 12 }, (_, i) => `burst-${i}`);
    for (const id of runIds) await driver.request({ op: 'run', file: 'short.yaml', run_id: id });

    const first = startCollectorProcess('doomed', { [boxId]: runtime.root }, { COLLECT_MAX_BATCH: '7' });
    // Killed as a batch begins: its transaction is open, nothing of it may show.
    await first.waitForLog(`batch-writing ${boxId}`, 60_000);
    await waitFor('a few batches', () => (first.output().match(/batch-written/g)?.length ?? 0) >= 2, 60_000);
    const writingBefore = first.output().match(/batch-writing/g)?.length ?? 0;
    await waitFor(
      'the next batch to begin',
      () => (first.output().match(/batch-writing/g)?.length ?? 0) > writingBefore,
    );
    await first.stop('SIGKILL');
    const atKill = await pool.query('SELECT events_ingested::int AS n FROM collector_cursors WHERE box_id = $1', [
      boxId,
    ]);

    startCollectorProcess('successor', { [boxId]: runtime.root }, { COLLECT_MAX_BATCH: '7' });
    await waitFor(
      'every run to finish on the box',
      async () => {
        const list = await driver.request({ op: 'list' });
        return list.runs.length === runIds.length && list.runs.every((r) => r.status === 'succeeded');
      },
      60_000,
    );
    const onBox = await expectExactlyOnce(boxId, runtime);
    expect(atKill.rows[0].n).toBeLessThan(onBox.length);
    await waitFor('every run to succeed in Postgres', async () => {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM runs WHERE box_id = $1 AND status = 'succeeded'`,
        [boxId],
      );
      return rows[0].n === runIds.length;
    });
    const totals = await usageTotals(pool, boxId, onBox);
    expect(totals.stored).toEqual(totals.onBox);
    expect(totals.onBox.tokens_in).toBe(runIds.length * 60);
    expect((await owners([boxId])).get(boxId)).toBe('successor');
  }, 150_000);

  it('spreads two boxes over two collectors; when one dies the other takes its box over', async () => {
    const [rA, rB] = await Promise.all([
      startRuntime({ 'short.yaml': SHORT_CHAIN }),
      startRuntime({ 'short.yaml': SHORT_CHAIN }),
    ]);
    const tenantId = await seedTenant(pool);
    const [boxA, boxB] = [await seedBox(pool, tenantId), await seedBox(pool, tenantId)];
    await seedChain(pool, tenantId, 'short');
    const boxes = { [boxA]: rA!.root, [boxB]: rB!.root };
    const one = startCollectorProcess('one', boxes);
    await one.waitForLog('ready');
    startCollectorProcess('two', boxes);
    const split = await waitFor(
      'one box each',
      async () => {
        const map = await owners([boxA, boxB]);
        const values = [...map.values()];
        return values.length === 2 && new Set(values).size === 2 && !values.includes(null) ? map : undefined;
      },
      60_000,
    );
    const boxOfOne = split.get(boxA) === 'one' ? boxA : boxB;
    const runtimeOfOne = boxOfOne === boxA ? rA! : rB!;
    const otherBox = boxOfOne === boxA ? boxB : boxA;

    await one.stop('SIGKILL');
    // Events written while nobody streams the box arrive once its lease expires and "two" takes it.
    await channelTo(runtimeOfOne).request({ op: 'run', file: 'short.yaml', run_id: 'after-death' });
    await channelTo(boxOfOne === boxA ? rB! : rA!).request({ op: 'run', file: 'short.yaml', run_id: 'other' });
    await waitFor(
      '"two" to own both boxes',
      async () => {
        const map = await owners([boxA, boxB]);
        return map.get(boxA) === 'two' && map.get(boxB) === 'two';
      },
      60_000,
    );
    await waitFor('the orphaned run to succeed in Postgres', () => runRow(pool, boxOfOne, 'after-death', 'succeeded'));
    await waitFor('the other run to succeed in Postgres', () => runRow(pool, otherBox, 'other', 'succeeded'));
    await expectExactlyOnce(boxA, rA!);
    await expectExactlyOnce(boxB, rB!);
  }, 150_000);
});
