import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoxChannel, bootstrapBox, buildRuntimeRelease, deployToBox, sshTransport } from '@paddock/fleet';
import { createMigratedDatabase } from '@paddock/testkit';
import { createVault } from '@paddock/vault';
import pg from 'pg';
import { startCollector } from '@paddock/services';
import { createTestFleet } from '../../fleet/support/test-boxes';
import { REVIEW_CHAIN } from './chains';
import { seedReachableBox } from './seed';

/**
 * Measures (does not assert) the decision latency: from the box writing `decision_pending` (the event's timestamp;
 * the test box runs on this machine, same clock) to the decisions row being readable in Postgres, polled every 5 ms.
 * A real test box over SSH, the real runtime release, startCollector with its production timings; RUNS runs are
 * started at once so the box and the collector are busy. Run by hand:
 *   eval "$(bash scripts/services.sh --with-sshd)"; node --import tsx test/collect/support/measure-decision-latency.ts [runs]
 */
const RUNS = Number(process.argv[2] ?? 32);
const outDir = mkdtempSync(join(tmpdir(), 'measure-decisions-'));
const fleet = await createTestFleet(1);
const db = await createMigratedDatabase('paddock_m_');
const pool = new pg.Pool({ connectionString: db.url, max: 8 });
const ssh = fleet.pool();
const vault = createVault(randomBytes(32).toString('base64'));
try {
  const box = fleet.boxes[0]!;
  const target = fleet.target(box);
  const release = await buildRuntimeRelease({
    runtimeDir: join(import.meta.dirname, '../../../packages/runtime'),
    outDir: join(outDir, 'rt'),
    version: 'rt-measure',
    node: { kind: 'system' },
  });
  await bootstrapBox({ pool: ssh, target, systemNode: true });
  await deployToBox({ pool: ssh, target, release, deployId: 'measure-1' });
  const { boxId } = await seedReachableBox(pool, vault, box, fleet.loginKey, 'review');
  const quiet = { info: () => {}, warn: () => {}, error: (f: object, m: string) => console.error(m, f) };
  const collector = await startCollector({ pool, vault, ssh, ownerId: 'measure', log: quiet });
  const driver = new BoxChannel({ boxId, open: sshTransport(ssh, target) });
  await driver.connect();

  const ids = Array.from({ length: RUNS }, (_, i) => `lat-${i}`);
  const seenAt = new Map<string, number>();
  const started = Date.now();
  await Promise.all(ids.map((id) => driver.request({ op: 'run', text: REVIEW_CHAIN, run_id: id })));
  while (seenAt.size < RUNS && Date.now() - started < 120_000) {
    const { rows } = await pool.query<{ runtime_run_id: string }>(
      `SELECT r.runtime_run_id FROM decisions d JOIN runs r ON r.id = d.run_id WHERE d.box_id = $1`,
      [boxId],
    );
    const now = Date.now();
    for (const row of rows) if (!seenAt.has(row.runtime_run_id)) seenAt.set(row.runtime_run_id, now);
    await new Promise((r) => setTimeout(r, 5));
  }
  const events = await driver.request({ op: 'events', limit: 100_000 });
  const latencies = events.events
    .filter((e) => e.kind === 'decision_pending' && seenAt.has(e.run_id))
    .map((e) => (seenAt.get(e.run_id) as number) - Date.parse(e.timestamp))
    .sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  console.log(
    JSON.stringify({
      runs: RUNS,
      seen: latencies.length,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: latencies.at(-1),
      minMs: latencies[0],
    }),
  );
  await driver.close();
  await collector.stop();
} finally {
  await pool.end();
  await db.drop();
  await fleet.destroy();
  rmSync(outDir, { recursive: true, force: true });
}
