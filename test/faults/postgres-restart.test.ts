import { BoxChannel } from '@paddock/fleet';
import { readTestEnv } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, spawnApp } from '../support/spawn-app';
import { SHORT_CHAIN } from '../collect/support/chains';
import { eventsOnBox, runRow, storedEventKeys, usageTotals } from '../collect/support/expectations';
import { createLocalRuntime, type LocalRuntime } from '../collect/support/local-runtime';
import { waitFor } from '../support/wait-for';
import { priceChainModels, seedBox, seedChain, seedTenant } from '../collect/support/seed';
import { type PrivateServices, startPrivateServices } from './support/private-services';

const LONG = readTestEnv().PADDOCK_TEST_PROFILE === 'long';
// Short: one restart with runs before, during and after it. Long: three restarts, more runs each time.
const RESTARTS = LONG ? 3 : 1;
const RUNS_PER_PHASE = LONG ? 8 : 3;

// PostgreSQL (this test's own) stops hard while two collector processes stream a real box runtime whose runs keep
// writing events, then comes back. The collectors reconnect by themselves and resume from their cursors: every event
// on the box is stored exactly once, and the run totals in Postgres equal what the box reported.
describe('PostgreSQL restarted under collection', () => {
  let services: PrivateServices;
  let pool: pg.Pool;
  let runtime: LocalRuntime;
  let driver: BoxChannel;
  const collectors: AppProcess[] = [];

  beforeAll(async () => {
    services = await startPrivateServices({ postgres: true });
    pool = new pg.Pool({ connectionString: services.databaseUrl, max: 4 });
    pool.on('error', () => undefined); // idle connections die with the server: the pool replaces them
    await priceChainModels(pool);
    runtime = createLocalRuntime();
    runtime.file('short.yaml', SHORT_CHAIN);
    await runtime.startDaemon();
    driver = new BoxChannel({ boxId: 'test-driver', open: runtime.serve });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(collectors.map((c) => c.stop('SIGKILL')));
    await driver?.close();
    await runtime?.cleanup();
    await pool?.end();
    await services?.close();
  });

  it('stores every event once and resumes from the cursors after each restart', async () => {
    const tenantId = await seedTenant(pool);
    const boxId = await seedBox(pool, tenantId);
    await seedChain(pool, tenantId, 'short');
    const boxes = JSON.stringify({ [boxId]: runtime.root });
    for (const owner of ['pg-restart-a', 'pg-restart-b']) {
      const collector = spawnApp('test/collect/support/collector-process.ts', {
        DATABASE_URL: services.databaseUrl,
        COLLECT_OWNER: owner,
        COLLECT_BOXES: boxes,
        COLLECT_LEASE_MS: '1500',
      });
      collectors.push(collector);
      await collector.waitForLog('ready', 60_000);
    }
    let started = 0;
    const startRuns = async (count: number) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        started += 1;
        const runId = `r${started}`;
        await driver.request({ op: 'run', file: 'short.yaml', run_id: runId });
        ids.push(runId);
      }
      return ids;
    };
    const finishedOnBox = async (ids: string[]) => {
      const events = await eventsOnBox(runtime);
      return ids.every((id) => events.some((e) => e.run_id === id && e.step === '_run' && e.kind === 'finished'));
    };

    const all: string[] = [];
    for (let round = 0; round < RESTARTS; round++) {
      // Runs in flight when the server goes away...
      all.push(...(await startRuns(RUNS_PER_PHASE)));
      await services.stopPostgres();
      // ...and runs that start and finish on the box while it is gone.
      const duringOutage = await startRuns(RUNS_PER_PHASE);
      all.push(...duringOutage);
      await waitFor('the outage runs to finish on the box', () => finishedOnBox(duringOutage), 60_000);
      await services.startPostgres();
    }
    all.push(...(await startRuns(RUNS_PER_PHASE)));

    for (const id of all) {
      await waitFor(`run ${id} to succeed in Postgres`, () => runRow(pool, boxId, id, 'succeeded'), 90_000).catch(
        (error: Error) => {
          // What the collectors said is the diagnosis.
          throw new Error(`${error.message}\n${collectors.map((c) => c.output().slice(-4_000)).join('\n---\n')}`);
        },
      );
    }
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
    const cursor = await pool.query('SELECT events_ingested::int AS n FROM collector_cursors WHERE box_id = $1', [
      boxId,
    ]);
    expect(cursor.rows[0].n).toBe(onBox.length);
    const totals = await usageTotals(pool, boxId, onBox);
    expect(totals.stored).toEqual({
      tokens_in: totals.onBox.tokens_in,
      tokens_out: totals.onBox.tokens_out,
      cost: totals.onBox.cost,
    });
    // Both collector processes lived through it.
    expect(collectors.every((c) => c.child.exitCode === null)).toBe(true);
  }, 300_000);
});
