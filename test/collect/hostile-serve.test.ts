import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_EVENT_BYTES, MAX_SERVE_LINE_BYTES, type RunEventInput } from '@paddock/contracts';
import { BoxChannel, BoxChannelError, localProcessTransport } from '@paddock/fleet';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '@paddock/services';
import { waitFor } from '../support/wait-for';
import { seedBox, seedChain, seedTenant } from './support/seed';

// A tampered serve process (a real child process speaking the protocol) that pushes what no honest runtime writes:
// lines past the limit, events of the wrong types, numbers JSON.parse turns into Infinity, garbage. The collector
// must quarantine each, keep going past it (no restart loop: the same line would come again for ever) and hold no
// more than its bound in memory however fast the box pushes.
let db: TestDatabase;
let pool: pg.Pool;
let dir: string;
const collectors: Collector[] = [];
const channels: BoxChannel[] = [];
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const SERVE = join(import.meta.dirname, 'support/hostile-serve.cjs');

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
  dir = mkdtempSync(join(tmpdir(), 'hostile-serve-'));
});
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.stop()));
  await Promise.all(channels.splice(0).map((c) => c.close()));
  await pool.query('UPDATE boxes SET destroyed_at = now() WHERE destroyed_at IS NULL');
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Item = [number, 'event' | 'raw' | 'huge' | 'garbage' | 'trickle', unknown];

function hostileServe(name: string, items: Item[], env: Record<string, string> = {}) {
  const script = join(dir, `${name}.json`);
  writeFileSync(script, JSON.stringify(items));
  return localProcessTransport([process.execPath, SERVE], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOSTILE_SCRIPT: script, ...env },
  });
}

const at = (seq: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString();
function event(runId: string, seq: number, fields: Partial<RunEventInput> = {}): RunEventInput {
  return { run_id: runId, seq, step: 'a', kind: 'started', status: 'running', timestamp: at(seq), ...fields };
}

async function startCollecting(
  transport: ReturnType<typeof hostileServe>,
  maxBufferedBytes?: number,
  catchUpMs = 60_000,
) {
  const collector = new Collector({
    pool,
    ownerId: `hostile-${collectors.length}`,
    leaseMs: 5_000,
    catchUpMs,
    healthMs: 60_000,
    ...(maxBufferedBytes ? { maxBufferedBytes } : {}),
    channel: { reopenDelayMs: { initial: 20, max: 100 } },
    connector: { transport: () => transport },
    log: quiet,
  });
  collectors.push(collector);
  await collector.start();
  return collector;
}

async function storedSeqs(boxId: string): Promise<number[]> {
  const { rows } = await pool.query<{ seq: number }>('SELECT seq FROM usage_events WHERE box_id = $1 ORDER BY seq', [
    boxId,
  ]);
  return rows.map((r) => r.seq);
}

describe('a tampered serve process', () => {
  it('gets every bad line quarantined with its cursor while the good events around them are stored once', async () => {
    const tenantId = await seedTenant(pool);
    const boxId = await seedBox(pool, tenantId);
    await seedChain(pool, tenantId, 'c');
    const lineTooLong = MAX_SERVE_LINE_BYTES + 1024;
    const items: Item[] = [
      [1, 'event', event('r1', 1, { step: '_run', kind: 'created', status: 'queued', data: { chain: 'c' } })],
      [2, 'huge', { event: event('r1', 2), bytes: lineTooLong }],
      [3, 'raw', `{"run_id":"r1","seq":"three","step":"a","kind":"started","status":"running","timestamp":"${at(3)}"}`],
      [
        4,
        'raw',
        `{"run_id":"r1","seq":4,"step":"a","kind":"complete","status":"complete","timestamp":"${at(4)}","input_tokens":1e999}`,
      ],
      // Not JSON at all, short and past the limit: nothing to attribute, simply passed over.
      [5, 'garbage', { bytes: 100 }],
      [6, 'garbage', { bytes: lineTooLong }],
      // Under the line limit but over the event limit: never held whole.
      [7, 'huge', { event: event('r1', 5), bytes: MAX_EVENT_BYTES * 2 }],
      [8, 'event', event('r1', 6, { step: '_run', kind: 'finished', status: 'succeeded' })],
    ];
    const collector = await startCollecting(hostileServe('mixed', items));
    const cursor = await waitFor('the cursor past the last event', async () => {
      const { rows } = await pool.query('SELECT cursor FROM collector_cursors WHERE box_id = $1', [boxId]);
      return rows[0]?.cursor === 'j1:8' ? rows[0].cursor : undefined;
    });
    expect(cursor).toBe('j1:8');
    expect(await storedSeqs(boxId)).toEqual([1, 6]);
    const { rows } = await pool.query(
      `SELECT cursor, reason, runtime_run_id, seq::int AS seq, bytes::bigint::float8 AS bytes, length(excerpt) AS chars
         FROM quarantined_events WHERE box_id = $1 ORDER BY cursor`,
      [boxId],
    );
    expect(rows.map((r) => [r.cursor, r.reason, r.runtime_run_id, r.seq])).toEqual([
      ['j1:2', 'line_too_long', 'r1', 2],
      ['j1:3', 'invalid_event', 'r1', null],
      ['j1:4', 'invalid_event', 'r1', 4],
      ['j1:7', 'event_too_large', 'r1', 5],
    ]);
    expect(rows[0].bytes).toBeGreaterThan(MAX_SERVE_LINE_BYTES);
    for (const row of rows) expect(row.chars).toBeLessThanOrEqual(2048);
    const box = collector.box(boxId);
    // No restart loop: the stream went past every bad line once.
    expect(box?.stats.restarts).toBe(0);
    expect(box?.stats.quarantined).toBe(4);
    // The run finished in Postgres: the box's collection was never stuck.
    const run = await pool.query(`SELECT status FROM runs WHERE box_id = $1 AND runtime_run_id = 'r1'`, [boxId]);
    expect(run.rows).toEqual([{ status: 'succeeded' }]);
  }, 60_000);

  it('holds at most its byte bound while the box floods it, and stores the whole flood', async () => {
    const tenantId = await seedTenant(pool);
    const boxId = await seedBox(pool, tenantId);
    // 120 events of ~180 KB (each under every limit; 22 MB in all) against a 1 MiB bound: reading must pause while
    // batches are written.
    const bound = 1024 * 1024;
    const pad = 'p'.repeat(60_000);
    const items: Item[] = Array.from({ length: 120 }, (_, i) => [
      i + 1,
      'event',
      event('flood', i + 1, { message: pad, error: pad, data: { pad } }),
    ]);
    const collector = await startCollecting(hostileServe('flood', items), bound);
    await waitFor('the whole flood stored', async () => (await storedSeqs(boxId)).length === 120 || undefined, 60_000);
    const stats = collector.box(boxId)?.stats;
    expect(stats?.pauses).toBeGreaterThan(0);
    // The bound plus one event (reading stops right after the event that crossed it).
    expect(stats?.peakHeldBytes).toBeLessThanOrEqual(bound + MAX_EVENT_BYTES);
    expect(await storedSeqs(boxId)).toEqual(items.map(([n]) => n));
  }, 90_000);

  it('restarts a stream that is open but delivers nothing while the box has events, and then stores them once', async () => {
    const tenantId = await seedTenant(pool);
    const boxId = await seedBox(pool, tenantId);
    const items: Item[] = [1, 2, 3].map((n) => [n, 'event', event('hung', n)]);
    const collector = await startCollecting(
      hostileServe('hung', items, { HOSTILE_HANG_SUBSCRIPTIONS: '1' }),
      undefined,
      100,
    );
    await waitFor(
      'the events stored after the restart',
      async () => (await storedSeqs(boxId)).length === 3 || undefined,
    );
    expect(collector.box(boxId)?.stats.restarts).toBe(1);
    expect(await storedSeqs(boxId)).toEqual([1, 2, 3]);
  }, 60_000);

  it('does not restart a slow stream: bytes arriving with no event complete for many catch-up checks', async () => {
    const tenantId = await seedTenant(pool);
    const boxId = await seedBox(pool, tenantId);
    // The second event's line arrives in 40 pieces 50 ms apart (2 s) against checks every 100 ms: a restart would
    // start the slow line again (and, on a loaded box, again and again).
    const items: Item[] = [
      [1, 'event', event('slow', 1)],
      [2, 'trickle', { event: event('slow', 2, { message: 's'.repeat(4_000) }), chunks: 40, everyMs: 50 }],
      [3, 'event', event('slow', 3)],
    ];
    const collector = await startCollecting(hostileServe('slow', items), undefined, 100);
    await waitFor('the slow event and the one after it stored', async () => {
      return (await storedSeqs(boxId)).length === 3 || undefined;
    });
    expect(collector.box(boxId)?.stats.restarts).toBe(0);
    expect(await storedSeqs(boxId)).toEqual([1, 2, 3]);
  }, 60_000);

  it('fails an answer longer than the line limit at once, and the channel keeps serving', async () => {
    const channel = new BoxChannel({
      boxId: 'hostile-answer',
      open: hostileServe('answer', []),
      requestTimeoutMs: 60_000,
    });
    channels.push(channel);
    const error = await channel.request({ op: 'list' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BoxChannelError);
    expect(error).toMatchObject({ failure: 'protocol_error' });
    expect(channel.isOpen).toBe(true);
    expect(await channel.request({ op: 'events', since: 'j1:0' })).toEqual({ events: [], cursor: 'j1:0' });
  }, 60_000);
});
