import { PG_BIGINT_MAX, type RunEvent } from '@paddock/contracts';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvents, seedBox, seedChain, seedCursor, seedModelPrice, seedTenant } from '../collect/support/seed';
import { ingestEvents } from '@paddock/services';

// What a hostile box can put in an event file the runtime's schema accepts (or that a tampered serve process sends):
// each value once made a batch fail for good ("integer out of range", "bigint out of range", a stack overflow), so
// the box's later events were never collected. Real Postgres: the point is that no INSERT or UPDATE fails.
let db: TestDatabase;
let pool: pg.Pool;
const OWNER = 'collector-q';

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  // $1,000 per million input tokens (the price book's most): 1,000 micros a token, so 1e9 tokens cost 1e12 micros.
  await seedModelPrice(pool, 'm', { input: 1_000_000_000n, output: 0n });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** `{ a: { a: ... } }`, `depth` levels, built without recursion. */
function nested(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let at = root;
  for (let i = 1; i < depth; i++) {
    const next: Record<string, unknown> = {};
    at.a = next;
    at = next;
  }
  return root;
}

async function quarantineRows(boxId: string) {
  const { rows } = await pool.query<{ reason: string; runtime_run_id: string | null; seq: string | null }>(
    `SELECT reason, runtime_run_id, seq::text AS seq, cursor, bytes::text AS bytes, length(excerpt) AS excerpt_chars
       FROM quarantined_events WHERE box_id = $1 ORDER BY id`,
    [boxId],
  );
  return rows;
}

describe('ingestEvents with hostile values', () => {
  it('quarantines each lie with its reason, stores the rest exactly once, and goes on past them', async () => {
    const tenantId = await seedTenant(pool);
    const boxId = await seedBox(pool, tenantId);
    await seedCursor(pool, boxId, tenantId, OWNER);
    await seedChain(pool, tenantId, 'honest');
    // Another tenant's run, which the hostile box names as its own.
    const otherTenant = await seedTenant(pool);
    const otherBox = await seedBox(pool, otherTenant);
    const otherChain = await seedChain(pool, otherTenant, 'theirs');
    const foreign = await pool.query<{ id: string }>(
      `INSERT INTO runs (tenant_id, box_id, chain_id, status) VALUES ($1, $2, $3, 'running') RETURNING id`,
      [otherTenant, otherBox, otherChain.chainId],
    );
    const foreignRunId = foreign.rows[0]?.id as string;
    await pool.query('UPDATE runs SET runtime_run_id = id::text WHERE id = $1', [foreignRunId]);

    const honest = runEvents('honest-1', [
      { step: '_run', kind: 'created', status: 'queued', data: { chain: 'honest' } },
      { step: 'a', kind: 'started', status: 'running', attempt: 1 },
      {
        step: 'a',
        kind: 'complete',
        status: 'complete',
        attempt: 1,
        model: 'm',
        input_tokens: 10,
        output_tokens: 2,
        cost_usd: 0.01,
        exit_code: 0,
      },
      { step: '_run', kind: 'finished', status: 'succeeded' },
    ]);
    const [created, started, complete, finished] = honest as [RunEvent, RunEvent, RunEvent, RunEvent];
    const lie = (patch: Partial<RunEvent>, seq: number): RunEvent => ({ ...complete, seq, ...patch });
    const lies = [
      lie({ seq: 3_000_000_000 }, 0),
      lie({ input_tokens: 2 ** 63 }, 5),
      lie({ output_tokens: -7 }, 6),
      lie({ cost_usd: Number.NaN }, 7),
      lie({ cost_usd: 9.3e12 }, 8),
      lie({ exit_code: 3e9 }, 9),
      lie({ attempt: 3e9 }, 10),
      lie({ data: nested(100_000) }, 11),
      lie({ message: 'z'.repeat(5_000_000) }, 12),
      { ...complete, run_id: foreignRunId, seq: 1, cost_usd: 5 },
    ];
    const events = [created, started, ...lies, complete, finished];
    const cursors = events.map((_, i) => `j1:${100 + i}`);
    const batch = {
      boxId,
      tenantId,
      ownerId: OWNER,
      fromCursor: '',
      toCursor: cursors[cursors.length - 1] as string,
      events,
      cursors,
    };
    const first = await ingestEvents({ pg: pool }, batch);
    expect(first).toMatchObject({ inserted: 4, quarantined: lies.length });

    const reasons = (await quarantineRows(boxId)).map((r) => [r.reason, r.runtime_run_id, r.seq]);
    expect(reasons).toEqual([
      ['seq_out_of_range', 'honest-1', '3000000000'],
      ['tokens_out_of_range', 'honest-1', '5'],
      ['tokens_out_of_range', 'honest-1', '6'],
      ['cost_out_of_range', 'honest-1', '7'],
      ['cost_out_of_range', 'honest-1', '8'],
      ['exit_code_out_of_range', 'honest-1', '9'],
      ['attempt_out_of_range', 'honest-1', '10'],
      ['data_too_deep', 'honest-1', '11'],
      ['text_too_long', 'honest-1', '12'],
      ['foreign_run', foreignRunId, '1'],
    ]);
    const excerpts = await pool.query<{ n: number; cursors: string[] }>(
      `SELECT max(length(excerpt))::int AS n, array_agg(cursor ORDER BY id) AS cursors
         FROM quarantined_events WHERE box_id = $1`,
      [boxId],
    );
    expect(excerpts.rows[0]?.n).toBeLessThanOrEqual(2048);
    expect(excerpts.rows[0]?.cursors).toEqual(cursors.slice(2, 2 + lies.length));

    // The honest run is whole; the cursor moved past everything.
    const run = await pool.query(
      `SELECT status, tokens_in, tokens_out, cost_micros::text AS cost FROM runs WHERE box_id = $1 AND runtime_run_id = 'honest-1'`,
      [boxId],
    );
    expect(run.rows).toEqual([{ status: 'succeeded', tokens_in: 10, tokens_out: 2, cost: '10000' }]);
    const cursor = await pool.query('SELECT cursor FROM collector_cursors WHERE box_id = $1', [boxId]);
    expect(cursor.rows[0].cursor).toBe(batch.toCursor);

    // Nothing written for the other tenant or its run, and nothing of it under this tenant either.
    const written = await pool.query(
      `SELECT count(*)::int AS n FROM usage_events WHERE tenant_id = $1 OR run_id = $2 OR runtime_run_id = $2::text`,
      [otherTenant, foreignRunId],
    );
    expect(written.rows[0].n).toBe(0);
    const theirs = await pool.query(
      'SELECT status, tokens_in, cost_micros::text AS cost, last_event_seq FROM runs WHERE id = $1',
      [foreignRunId],
    );
    expect(theirs.rows).toEqual([{ status: 'running', tokens_in: 0, cost: '0', last_event_seq: 0 }]);

    // The same batch read again (a restarted stream from an older cursor): nothing new, quarantined once.
    await seedCursor(pool, boxId, tenantId, OWNER, '');
    const again = await ingestEvents({ pg: pool }, batch);
    expect(again).toMatchObject({ inserted: 0, quarantined: 0 });
    expect(await quarantineRows(boxId)).toHaveLength(lies.length);
    const stored = await pool.query('SELECT count(*)::int AS n FROM usage_events WHERE box_id = $1', [boxId]);
    expect(stored.rows[0].n).toBe(4);
  });

  it('keeps a run total that would pass BIGINT writable: costs saturate', async () => {
    const tenantId = await seedTenant(pool);
    const boxId = await seedBox(pool, tenantId);
    await seedCursor(pool, boxId, tenantId, OWNER);
    await seedChain(pool, tenantId, 'pricey');
    const events = runEvents('pricey-1', [
      { step: '_run', kind: 'created', status: 'queued', data: { chain: 'pricey' } },
      { step: 'a', kind: 'complete', status: 'complete', attempt: 1, model: 'm', input_tokens: 1e9 },
    ]);
    await ingestEvents({ pg: pool }, { boxId, tenantId, ownerId: OWNER, fromCursor: '', toCursor: 'j1:2', events });
    // As if millions of such events had been counted already.
    await pool.query(`UPDATE runs SET cost_micros = $2 WHERE box_id = $1`, [boxId, (PG_BIGINT_MAX - 5n).toString()]);
    const more = runEvents('pricey-1', [
      { step: '_run', kind: 'created', status: 'queued', data: { chain: 'pricey' } },
      { step: 'a', kind: 'complete', status: 'complete', attempt: 1, model: 'm', input_tokens: 1e9 },
      { step: 'b', kind: 'complete', status: 'complete', attempt: 1, model: 'm', input_tokens: 1e9 },
      { step: '_run', kind: 'finished', status: 'succeeded' },
    ]).slice(2);
    await ingestEvents(
      { pg: pool },
      { boxId, tenantId, ownerId: OWNER, fromCursor: 'j1:2', toCursor: 'j1:4', events: more },
    );
    const run = await pool.query(`SELECT status, cost_micros::text AS cost FROM runs WHERE box_id = $1`, [boxId]);
    expect(run.rows).toEqual([{ status: 'succeeded', cost: PG_BIGINT_MAX.toString() }]);
  });
});
