import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import { createVault } from '@paddock/vault';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, startCollector } from '@paddock/services';
import { waitFor } from '../support/wait-for';
import { seedReachableBox } from '../collect/support/seed';
import { createTestFleet, type TestFleet } from '../fleet/support/test-boxes';

// A tenant box deleted under the control plane (a test box destroyed while its row says ready): the worker's
// collector keeps trying it, each attempt after twice the wait of the one before up to the cap, and records that
// backoff on the box's cursor row; with no contact for the silence limit the box turns unreachable with one alert.
let fleet: TestFleet;
let db: TestDatabase;
let pool: pg.Pool;
const vault = createVault(randomBytes(32).toString('base64'));

beforeAll(async () => {
  [fleet, db] = await Promise.all([createTestFleet(1), createTestDatabase()]);
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
  await fleet?.destroy();
});

describe('a box that stays unreachable', () => {
  it('is retried with doubling, capped waits and marked unreachable with one box_silent alert', async () => {
    const box = fleet.boxes[0]!;
    const { boxId } = await seedReachableBox(pool, vault, box, fleet.loginKey, 'gone');
    await fleet.harness.destroyBox(box.id);
    const ssh = fleet.pool({ timeouts: { connectMs: 2_000 } });
    const running: RunningCollector = await startCollector({
      pool,
      vault,
      ssh,
      ownerId: 'backoff-worker',
      log: { info: () => {}, warn: () => {}, error: () => {} },
      timings: { leaseMs: 5_000, tickMs: 100, silentMs: 300, reopenDelayMs: { initial: 20, max: 320 } },
    });
    try {
      const collector = running.collector.box(boxId);
      expect(collector).toBeDefined();
      const delays = await waitFor('eight reopen attempts', () => {
        const kept = collector?.stats.reconnectDelays ?? [];
        return kept.length >= 8 ? [...kept] : undefined;
      });
      // The waits as scheduled: doubling from the first, then held at the cap.
      expect(delays.slice(0, 8)).toEqual([20, 40, 80, 160, 320, 320, 320, 320]);
      // The same backoff on the cursor row, for operators (and another worker taking the box over).
      const state = await waitFor('the reconnect state on the cursor row', async () => {
        const { rows } = await pool.query<{ reconnect_failures: number; reconnect_delay_ms: number; err: string }>(
          `SELECT reconnect_failures, reconnect_delay_ms, reconnect_error AS err FROM collector_cursors
            WHERE box_id = $1`,
          [boxId],
        );
        return rows[0] && rows[0].reconnect_failures >= 8 ? rows[0] : undefined;
      });
      expect(state.reconnect_delay_ms).toBe(320);
      expect(state.err).toMatch(/ssh|connect|ECONNREFUSED/i);

      const silent = await waitFor('the box to be marked unreachable', async () => {
        const { rows } = await pool.query<{ status: string; status_reason: string }>(
          'SELECT status, status_reason FROM boxes WHERE id = $1',
          [boxId],
        );
        return rows[0]?.status === 'unreachable' ? rows[0] : undefined;
      });
      expect(silent.status_reason).toMatch(/^no contact for/);
      // More ticks pass (each sweeps the box again): still one alert.
      const ticks = delays.length;
      await waitFor('more reopen attempts', () => (collector?.stats.reconnectDelays.length ?? 0) >= ticks + 3);
      const { rows: alerts } = await pool.query<{ status: string; severity: string }>(
        `SELECT status, severity FROM alerts WHERE box_id = $1 AND code = 'box_silent'`,
        [boxId],
      );
      expect(alerts).toEqual([{ status: 'open', severity: 'warning' }]);
    } finally {
      await running.stop();
    }
  });
});
