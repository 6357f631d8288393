import type { RunEvent } from '@paddock/contracts';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvents, seedBox, seedCursor, seedTenant } from '../collect/support/seed';
import { ingestEvents } from '@paddock/services';

// The collector's real ingestion against a real database: watchdog `alert` events become `alerts` rows in the batch's
// transaction, counted once per event, deduplicated while open, and bounded whatever the box wrote.
let db: TestDatabase;
let pool: pg.Pool;
const OWNER = 'collector-alerts';

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

async function freshBox() {
  const tenantId = await seedTenant(pool);
  const boxId = await seedBox(pool, tenantId);
  await seedCursor(pool, boxId, tenantId, OWNER);
  return { tenantId, boxId };
}

const stuckRun = (runId: string, message = 'no terminal output for 10m; killing the agent') =>
  runEvents(runId, [
    {
      step: '_run',
      kind: 'created',
      status: 'queued',
      data: { chain: 'stuck', chain_version: `sha256:${'a'.repeat(64)}` },
    },
    { step: 'wait', kind: 'started', status: 'running', attempt: 1 },
    { step: 'wait', kind: 'alert', status: 'running', attempt: 1, message, data: { watchdog: 'idle', limit: '10m' } },
    { step: 'wait', kind: 'killed', status: 'running', attempt: 1, error: 'killed' },
  ]);

async function ingest(scope: { tenantId: string; boxId: string }, from: string, to: string, events: RunEvent[]) {
  return ingestEvents({ pg: pool }, { ...scope, ownerId: OWNER, fromCursor: from, toCursor: to, events });
}

async function alertsOf(boxId: string) {
  const { rows } = await pool.query(
    `SELECT tenant_id, box_id, severity, code, status, occurrences, message, details, dedupe_key
       FROM alerts WHERE box_id = $1 ORDER BY created_at, id`,
    [boxId],
  );
  return rows;
}

describe('watchdog alerts at ingestion', () => {
  it('opens one alert per box, chain, step and reason, counts repeats once per event, and never twice for a batch read again', async () => {
    const box = await freshBox();
    await ingest(box, '', 'j1:1', stuckRun('r1'));
    expect(await alertsOf(box.boxId)).toEqual([
      expect.objectContaining({
        tenant_id: box.tenantId,
        severity: 'warning',
        code: 'watchdog_killed',
        status: 'open',
        occurrences: 1,
        message: 'Step wait of chain stuck (run r1, attempt 1): no terminal output for 10m; killing the agent',
        details: expect.objectContaining({
          reason: 'idle',
          limit: '10m',
          step: 'wait',
          chain: 'stuck',
          runtimeRunId: 'r1',
        }),
      }),
    ]);
    // The same batch again (a reset cursor): stored events are not new, so nothing is counted.
    await pool.query('UPDATE collector_cursors SET cursor = $2 WHERE box_id = $1', [box.boxId, '']);
    await ingest(box, '', 'j1:1', stuckRun('r1'));
    expect((await alertsOf(box.boxId))[0].occurrences).toBe(1);
    // The next run hangs the same way: the same open alert, now naming that run.
    await ingest(box, 'j1:1', 'j1:2', stuckRun('r2'));
    const [alert] = await alertsOf(box.boxId);
    expect(alert).toMatchObject({ occurrences: 2, details: expect.objectContaining({ runtimeRunId: 'r2' }) });
    // Resolved, the condition opens a new alert.
    await pool.query(`UPDATE alerts SET status = 'resolved', resolved_at = now() WHERE box_id = $1`, [box.boxId]);
    await ingest(box, 'j1:2', 'j1:3', stuckRun('r3'));
    expect((await alertsOf(box.boxId)).map((a) => [a.status, a.occurrences])).toEqual([
      ['resolved', 2],
      ['open', 1],
    ]);
  });

  it('stores what a hostile box writes in an alert cut to size, under its own tenant and box only', async () => {
    const box = await freshBox();
    const other = await freshBox();
    const huge = `x\u0000${'y'.repeat(60_000)}`;
    await ingest(box, '', 'j1:1', stuckRun('r-hostile', huge));
    const [alert] = await alertsOf(box.boxId);
    expect(alert.tenant_id).toBe(box.tenantId);
    expect(alert.message.length).toBe(1000);
    expect(alert.message).not.toContain('\u0000');
    expect(alert.dedupe_key.length).toBeLessThanOrEqual(255);
    expect(await alertsOf(other.boxId)).toEqual([]);
  });
});
