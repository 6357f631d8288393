import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvents, seedBox, seedChain, seedCursor, seedModelPrice, seedTenant } from '../collect/support/seed';
import { CursorMovedError, ingestEvents } from '@paddock/services';

let db: TestDatabase;
let pool: pg.Pool;
const OWNER = 'collector-a';

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  // The control plane's own prices: 10 micros per input token, 20 per output token (what the box says it cost is
  // kept as reported, never summed into the totals).
  for (const model of ['m-a', 'm-b', 'm'])
    await seedModelPrice(pool, model, { input: 10_000_000n, output: 20_000_000n });
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

const LINEAR = (runId: string, hash: string) =>
  runEvents(runId, [
    { step: '_run', kind: 'created', status: 'queued', data: { chain: 'linear', chain_version: `sha256:${hash}` } },
    { step: 'draft', kind: 'started', status: 'running', attempt: 1, model: 'm-a' },
    {
      step: 'draft',
      kind: 'complete',
      status: 'complete',
      attempt: 1,
      model: 'm-a',
      input_tokens: 1000,
      output_tokens: 200,
      tokens_used: 1200,
      cost_usd: 0.0123456,
      duration_seconds: 1.5,
      exit_code: 0,
      output_path: '/r/steps/draft/output',
    },
    { step: 'review', kind: 'started', status: 'running', attempt: 1 },
    {
      step: 'review',
      kind: 'complete',
      status: 'complete',
      attempt: 1,
      model: 'm-b',
      input_tokens: 10,
      output_tokens: 5,
      tokens_used: 15,
      cost_usd: 0.000001,
      duration_seconds: 0.25,
      exit_code: 0,
    },
    { step: '_run', kind: 'finished', status: 'succeeded' },
  ]);

async function runRow(boxId: string, runtimeRunId: string) {
  const { rows } = await pool.query(
    `SELECT id, status, tokens_in, tokens_out, cost_micros::text AS cost, duration_ms, last_event_seq, error,
            chain_version_id, started_at, finished_at
       FROM runs WHERE box_id = $1 AND runtime_run_id = $2`,
    [boxId, runtimeRunId],
  );
  return rows[0];
}

async function stepRows(runId: string) {
  const { rows } = await pool.query(
    `SELECT name, attempt, position, status, model, tokens_in, tokens_out, cost_micros::text AS cost, duration_ms,
            exit_code, error FROM run_steps WHERE run_id = $1 ORDER BY position, attempt`,
    [runId],
  );
  return rows;
}

describe('ingestEvents', () => {
  it('writes events once, adopts the run, and keeps run and step totals in integer micros', async () => {
    const { tenantId, boxId } = await freshBox();
    const chain = await seedChain(pool, tenantId, 'linear', { draft: {}, review: { needs: ['draft'] } });
    const events = LINEAR('r1', chain.hash);
    const first = await ingestEvents(
      { pg: pool },
      {
        boxId,
        tenantId,
        ownerId: OWNER,
        fromCursor: '',
        toCursor: 'j1:600',
        events,
      },
    );
    expect(first).toMatchObject({ inserted: 6, duplicates: 0, runsAdopted: 1 });

    const run = await runRow(boxId, 'r1');
    expect(run).toMatchObject({
      status: 'succeeded',
      tokens_in: 1010,
      tokens_out: 205,
      cost: '14200', // (1000 x 10 + 200 x 20) + (10 x 10 + 5 x 20) micros at the price book's price
      duration_ms: 5000,
      last_event_seq: 6,
      chain_version_id: chain.versionId,
      error: null,
    });
    expect(await stepRows(run.id)).toEqual([
      expect.objectContaining({
        name: 'draft',
        attempt: 1,
        position: 0,
        status: 'succeeded',
        tokens_in: 1000,
        cost: '14000',
        duration_ms: 1500,
        exit_code: 0,
      }),
      expect.objectContaining({
        name: 'review',
        attempt: 1,
        position: 1,
        status: 'succeeded',
        model: 'm-b',
        tokens_out: 5,
        cost: '200',
        duration_ms: 250,
      }),
    ]);
    const usage = await pool.query(
      `SELECT idempotency_key, chain_name, run_id, rating, cost_micros::text AS cost,
              reported_cost_micros::text AS reported, charged_picos::text AS picos
         FROM usage_events WHERE box_id = $1 ORDER BY seq`,
      [boxId],
    );
    // The box's own figures stay beside the charge: 12345.6 micros rounded once from its dollars, and 1.
    expect(usage.rows.filter((r) => r.rating === 'priced').map((r) => [r.cost, r.reported, r.picos])).toEqual([
      ['14000', '12346', '14000000000'],
      ['200', '1', '200000000'],
    ]);
    expect(usage.rows.map((r) => r.idempotency_key)).toEqual(events.map((e) => `${boxId}:r1:${e.seq}`));
    expect(new Set(usage.rows.map((r) => r.chain_name))).toEqual(new Set(['linear']));
    expect(new Set(usage.rows.map((r) => r.run_id))).toEqual(new Set([run.id]));
    const cursor = await pool.query(
      'SELECT cursor, events_ingested::int AS n FROM collector_cursors WHERE box_id = $1',
      [boxId],
    );
    expect(cursor.rows[0]).toEqual({ cursor: 'j1:600', n: 6 });

    // The box's journal was reset and everything comes again: nothing is stored or counted twice.
    await seedCursor(pool, boxId, tenantId, OWNER, '');
    const again = await ingestEvents(
      { pg: pool },
      {
        boxId,
        tenantId,
        ownerId: OWNER,
        fromCursor: '',
        toCursor: 'j1:600',
        events,
      },
    );
    expect(again).toMatchObject({ inserted: 0, duplicates: 6 });
    expect(await runRow(boxId, 'r1')).toMatchObject({ tokens_in: 1010, cost: '14200', status: 'succeeded' });
  });

  it('writes nothing for a collector that lost the box or a batch that does not follow the stored cursor', async () => {
    const { tenantId, boxId } = await freshBox();
    const events = LINEAR('r2', 'x'.repeat(64));
    const stolen = await ingestEvents(
      { pg: pool },
      {
        boxId,
        tenantId,
        ownerId: 'collector-b',
        fromCursor: '',
        toCursor: 'j1:9',
        events,
      },
    ).catch((e: unknown) => e);
    expect(stolen).toBeInstanceOf(CursorMovedError);
    expect((stolen as CursorMovedError).stored).toEqual({ cursor: '', ownerId: OWNER });
    const gap = await ingestEvents(
      { pg: pool },
      {
        boxId,
        tenantId,
        ownerId: OWNER,
        fromCursor: 'j1:5',
        toCursor: 'j1:9',
        events,
      },
    ).catch((e: unknown) => e);
    expect(gap).toBeInstanceOf(CursorMovedError);
    const count = await pool.query('SELECT count(*)::int AS n FROM usage_events WHERE box_id = $1', [boxId]);
    expect(count.rows[0].n).toBe(0);
  });

  it('records a pending decision, then the decision, and finishes the run', async () => {
    const { tenantId, boxId } = await freshBox();
    const chain = await seedChain(pool, tenantId, 'review', {
      draft: {},
      review: { needs: ['draft'] },
      publish: { needs: ['review'] },
    });
    const all = runEvents('r3', [
      {
        step: '_run',
        kind: 'created',
        status: 'queued',
        data: { chain: 'review', chain_version: `sha256:${chain.hash}` },
      },
      { step: 'draft', kind: 'started', status: 'running', attempt: 1 },
      { step: 'draft', kind: 'complete', status: 'complete', attempt: 1, exit_code: 0, duration_seconds: 1 },
      {
        step: 'review',
        kind: 'decision_pending',
        status: 'waiting',
        message: 'Publish?',
        output_path: '/r/steps/draft/output',
        data: { prompt: 'Publish?', options: ['approve', 'reject'], approvers: null, show: 'draft', deadline: null },
      },
      {
        step: 'review',
        kind: 'decided',
        status: 'complete',
        decision: { option: 'approve', by: 'alice', note: 'ship it', timed_out: false },
      },
      { step: 'publish', kind: 'started', status: 'running', attempt: 1 },
      { step: 'publish', kind: 'complete', status: 'complete', attempt: 1, exit_code: 0 },
      { step: '_run', kind: 'finished', status: 'succeeded' },
    ]);
    await ingestEvents(
      { pg: pool },
      {
        boxId,
        tenantId,
        ownerId: OWNER,
        fromCursor: '',
        toCursor: 'j1:4',
        events: all.slice(0, 4),
      },
    );
    const run = await runRow(boxId, 'r3');
    expect(run.status).toBe('waiting_decision');
    const pending = await pool.query(
      'SELECT status, prompt, subject, step_name, runtime_decision_id, step_id FROM decisions WHERE run_id = $1',
      [run.id],
    );
    expect(pending.rows).toEqual([
      expect.objectContaining({
        status: 'pending',
        prompt: 'Publish?',
        step_name: 'review',
        runtime_decision_id: 'review:4',
      }),
    ]);
    expect(pending.rows[0].subject).toMatchObject({
      options: ['approve', 'reject'],
      show: 'draft',
      output_path: '/r/steps/draft/output',
    });
    expect(pending.rows[0].step_id).not.toBeNull();

    await ingestEvents(
      { pg: pool },
      {
        boxId,
        tenantId,
        ownerId: OWNER,
        fromCursor: 'j1:4',
        toCursor: 'j1:8',
        events: all.slice(4),
      },
    );
    const decided = await pool.query(
      'SELECT status, note, decided_at, delivered_at, subject FROM decisions WHERE run_id = $1',
      [run.id],
    );
    expect(decided.rows).toEqual([expect.objectContaining({ status: 'approved', note: 'ship it' })]);
    expect(decided.rows[0].decided_at).toEqual(new Date(all[4]!.timestamp));
    expect(decided.rows[0].subject.answer).toEqual({ option: 'approve', by: 'alice', timed_out: false });
    expect((await runRow(boxId, 'r3')).status).toBe('succeeded');
  });

  it('names who rejected a run even when the run ends in a later batch than the decision', async () => {
    const { tenantId, boxId } = await freshBox();
    const chain = await seedChain(pool, tenantId, 'review', {
      draft: {},
      review: { needs: ['draft'] },
      publish: { needs: ['review'] },
    });
    const all = runEvents('r-reject', [
      {
        step: '_run',
        kind: 'created',
        status: 'queued',
        data: { chain: 'review', chain_version: `sha256:${chain.hash}` },
      },
      { step: 'draft', kind: 'started', status: 'running', attempt: 1 },
      { step: 'draft', kind: 'complete', status: 'complete', attempt: 1, exit_code: 0 },
      { step: 'review', kind: 'decision_pending', status: 'waiting', data: { prompt: 'Publish?' } },
      {
        step: 'review',
        kind: 'decided',
        status: 'complete',
        decision: { option: 'reject', by: 'bob@example.com', note: 'off topic', timed_out: false },
      },
      { step: '_run', kind: 'finished', status: 'rejected' },
    ]);
    await ingestEvents(
      { pg: pool },
      {
        boxId,
        tenantId,
        ownerId: OWNER,
        fromCursor: '',
        toCursor: 'j1:5',
        events: all.slice(0, 5),
      },
    );
    await ingestEvents(
      { pg: pool },
      {
        boxId,
        tenantId,
        ownerId: OWNER,
        fromCursor: 'j1:5',
        toCursor: 'j1:6',
        events: all.slice(5),
      },
    );
    const run = await runRow(boxId, 'r-reject');
    expect(run).toMatchObject({ status: 'failed', error: 'rejected at review by bob@example.com' });
  });

  it('keeps events of runs it cannot name, and folds them in once the run has a row', async () => {
    const { tenantId, boxId } = await freshBox();
    const events = LINEAR('r4', 'y'.repeat(64)).map((e, i) => (i === 0 ? { ...e, data: { chain: 'later' } } : e));
    await ingestEvents(
      { pg: pool },
      {
        boxId,
        tenantId,
        ownerId: OWNER,
        fromCursor: '',
        toCursor: 'j1:3',
        events: events.slice(0, 3),
      },
    );
    const unlinked = await pool.query(
      'SELECT count(*)::int AS n FROM usage_events WHERE box_id = $1 AND run_id IS NULL',
      [boxId],
    );
    expect(unlinked.rows[0].n).toBe(3);
    expect(await runRow(boxId, 'r4')).toBeUndefined();

    await seedChain(pool, tenantId, 'later');
    await ingestEvents(
      { pg: pool },
      {
        boxId,
        tenantId,
        ownerId: OWNER,
        fromCursor: 'j1:3',
        toCursor: 'j1:6',
        events: events.slice(3),
      },
    );
    const run = await runRow(boxId, 'r4');
    expect(run).toMatchObject({ status: 'succeeded', tokens_in: 1010, cost: '14200', last_event_seq: 6 });
    const linked = await pool.query('SELECT count(*)::int AS n FROM usage_events WHERE run_id = $1', [run.id]);
    expect(linked.rows[0].n).toBe(6);
  });

  it('counts a killed attempt once, keeps one step row per attempt, and survives hostile values', async () => {
    const { tenantId, boxId } = await freshBox();
    await seedChain(pool, tenantId, 'flaky');
    const usage = { model: 'm', input_tokens: 100, output_tokens: 10, tokens_used: 110, cost_usd: 0.5 };
    const events = runEvents('r5', [
      { step: '_run', kind: 'created', status: 'queued', data: { chain: 'flaky' } },
      { step: 'a', kind: 'started', status: 'running', attempt: 1 },
      { step: 'a', kind: 'alert', status: 'running', message: 'idle for 5s' },
      { step: 'a', kind: 'killed', status: 'running', attempt: 1, error: 'idle', ...usage },
      { step: 'a', kind: 'retry', status: 'retrying', attempt: 1, error: 'idle', ...usage },
      { step: 'a', kind: 'started', status: 'running', attempt: 2 },
      {
        step: 'a',
        kind: 'complete',
        status: 'complete',
        attempt: 2,
        model: 'm',
        input_tokens: 1e9, // the most one event may report (more is quarantined: screen-events.test.ts)
        output_tokens: 1,
        cost_usd: 1,
        error: 'nul \u0000 inside',
        message: 'also \u0000',
      },
      { step: '_run', kind: 'finished', status: 'succeeded' },
    ]);
    events[2] = { ...events[2]!, timestamp: 'not a time' };
    await ingestEvents({ pg: pool }, { boxId, tenantId, ownerId: OWNER, fromCursor: '', toCursor: 'j1:8', events });
    const run = await runRow(boxId, 'r5');
    // 100 x 10 + 10 x 20 for the killed attempt (counted once), 1e9 x 10 + 1 x 20 for the second.
    expect(run).toMatchObject({ status: 'succeeded', tokens_in: 1_000_000_100, cost: '10000001220' });
    expect(await stepRows(run.id)).toEqual([
      expect.objectContaining({
        name: 'a',
        attempt: 1,
        status: 'failed',
        tokens_in: 100,
        cost: '1200',
        error: 'idle',
      }),
      expect.objectContaining({ name: 'a', attempt: 2, status: 'succeeded', cost: '10000000020' }),
    ]);
    const stored = await pool.query(
      `SELECT type, cost_micros::text AS cost, payload->>'error' AS error FROM usage_events WHERE run_id = $1 ORDER BY seq`,
      [run.id],
    );
    expect(stored.rows.map((r) => [r.type, r.cost])).toEqual([
      ['created', '0'],
      ['started', '0'],
      ['alert', '0'],
      ['killed', '1200'],
      ['retry', '0'],
      ['started', '0'],
      ['complete', '10000000020'],
      ['finished', '0'],
    ]);
    expect(stored.rows[6].error).toBe('nul \ufffd inside');
  });

  it('keeps one row per step whose name is longer than the column, across batches', async () => {
    const { tenantId, boxId } = await freshBox();
    await seedChain(pool, tenantId, 'long');
    const name = `s${'n'.repeat(199)}`;
    const twin = `${name.slice(0, 128)}-twin`; // the same first 128 characters
    const events = runEvents('r7', [
      { step: '_run', kind: 'created', status: 'queued', data: { chain: 'long' } },
      { step: name, kind: 'started', status: 'running', attempt: 1 },
      { step: twin, kind: 'started', status: 'running', attempt: 1 },
      { step: name, kind: 'complete', status: 'complete', attempt: 1, exit_code: 0 },
      { step: '_run', kind: 'finished', status: 'succeeded' },
    ]);
    const batch = (from: number, to: number) =>
      ingestEvents(
        { pg: pool },
        {
          boxId,
          tenantId,
          ownerId: OWNER,
          fromCursor: from === 0 ? '' : `j1:${from}`,
          toCursor: `j1:${to}`,
          events: events.slice(from, to),
        },
      );
    await batch(0, 3);
    await batch(3, 5);
    const run = await runRow(boxId, 'r7');
    expect(run).toMatchObject({ status: 'succeeded', last_event_seq: 5 });
    expect(await stepRows(run.id)).toEqual([
      expect.objectContaining({ name: name.slice(0, 128), attempt: 1, status: 'succeeded', exit_code: 0 }),
    ]);
  });

  it('stores an event whose seq the box handed out twice under its own key', async () => {
    const { tenantId, boxId } = await freshBox();
    const [created, started] = runEvents('r6', [
      { step: '_run', kind: 'created', status: 'queued', data: { chain: 'none' } },
      { step: 'a', kind: 'started', status: 'running', attempt: 1 },
    ]);
    await ingestEvents(
      { pg: pool },
      {
        boxId,
        tenantId,
        ownerId: OWNER,
        fromCursor: '',
        toCursor: 'j1:2',
        events: [created!, started!],
      },
    );
    // A person deleted 000002-a.started.json and resumed: the runtime wrote `resumed` as seq 2.
    const resumed = {
      ...started!,
      step: '_run',
      kind: 'resumed' as const,
      status: 'running',
      timestamp: '2026-01-01T00:10:00.000Z',
    };
    const result = await ingestEvents(
      { pg: pool },
      {
        boxId,
        tenantId,
        ownerId: OWNER,
        fromCursor: 'j1:2',
        toCursor: 'j1:3',
        events: [resumed],
      },
    );
    expect(result.inserted).toBe(1);
    const keys = await pool.query('SELECT idempotency_key, type FROM usage_events WHERE box_id = $1 ORDER BY id', [
      boxId,
    ]);
    expect(keys.rows.map((r) => r.idempotency_key)).toEqual([
      `${boxId}:r6:1`,
      `${boxId}:r6:2`,
      `${boxId}:r6:2@2026-01-01T00:10:00.000Z`,
    ]);
  });
});
