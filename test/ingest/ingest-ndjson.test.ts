import { Readable } from 'node:stream';
import { AppError } from '@paddock/contracts';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBox, seedChain, seedModelPrice, seedTenant } from '../collect/support/seed';
import { ndjsonLines, succeededRun } from '../collect/support/synthetic-events';
import { ingestNdjson } from '@paddock/services';

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  await seedModelPrice(pool, 'm-a', { input: 10_000_000n, output: 20_000_000n });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

async function boxWithChain() {
  const tenantId = await seedTenant(pool);
  const boxId = await seedBox(pool, tenantId);
  await seedChain(pool, tenantId, 'nd');
  return boxId;
}

/** The NDJSON text cut into chunks of `size` bytes, so lines (and characters) span chunk boundaries. */
function chunked(text: string, size: number): Readable {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

describe('ingestNdjson', () => {
  it('stores every event once in batches, projects the runs, and skips everything on a second import', async () => {
    const boxId = await boxWithChain();
    const events = Array.from({ length: 30 }, (_, i) => succeededRun(`nd-${i}`, 'nd', 3)).flat();
    const text = [...ndjsonLines(events)].join('').trimEnd(); // the last line without its newline

    const first = await ingestNdjson({ pg: pool }, boxId, chunked(text, 997), { batchSize: 64 });
    expect(first).toMatchObject({ lines: 240, events: 240, inserted: 240, duplicates: 0, batches: 4 });
    const runs = await pool.query<{ n: number; tokens: number; cost: string }>(
      `SELECT count(*)::int AS n, sum(tokens_in)::int AS tokens, sum(cost_micros)::text AS cost
         FROM runs WHERE box_id = $1 AND status = 'succeeded'`,
      [boxId],
    );
    expect(runs.rows[0]).toEqual({
      n: 30,
      tokens: 30 * (100 + 101 + 102),
      cost: String(30 * (303 * 10 + 3 * 20 * 20)),
    }); // rated by the price book
    const counted = await pool.query(
      'SELECT events_ingested::int AS n, cursor FROM collector_cursors WHERE box_id = $1',
      [boxId],
    );
    // Counted like streamed events, but the stream's cursor is not the import's to move.
    expect(counted.rows).toEqual([{ n: 240, cursor: '' }]);

    const again = await ingestNdjson({ pg: pool }, boxId, chunked(text, 4096));
    expect(again).toMatchObject({ events: 240, inserted: 0, duplicates: 240, batches: 1 });
    const stored = await pool.query('SELECT count(*)::int AS n FROM usage_events WHERE box_id = $1', [boxId]);
    expect(stored.rows[0].n).toBe(240);
  });

  it('starts with a small batch and doubles up to the batch size', async () => {
    const boxId = await boxWithChain();
    const events = Array.from({ length: 200 }, (_, i) => succeededRun(`ramp-${i}`, 'nd', 3)).flat(); // 1,600
    const result = await ingestNdjson({ pg: pool }, boxId, chunked([...ndjsonLines(events)].join(''), 512));
    // ~500, ~1,000, then the rest: lines are counted per chunk read, so a batch may run a line or two over.
    expect(result).toMatchObject({ events: 1600, inserted: 1600, batches: 3 });
    const runs = await pool.query(`SELECT count(*)::int AS n FROM runs WHERE box_id = $1 AND status = 'succeeded'`, [
      boxId,
    ]);
    expect(runs.rows[0].n).toBe(200);
  });

  it('stops at a line that is not an event, naming it, with the batches before it written', async () => {
    const boxId = await boxWithChain();
    const lines = [...ndjsonLines(succeededRun('bad-1', 'nd', 1))];
    const text = `${lines.join('')}\n{"run_id":"bad-2","seq":"one"}\n${lines.join('')}`;
    const error = await ingestNdjson({ pg: pool }, boxId, chunked(text, 50), { batchSize: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/^line 6: /) });
    const stored = await pool.query('SELECT count(*)::int AS n FROM usage_events WHERE box_id = $1', [boxId]);
    expect(stored.rows[0].n).toBe(4);

    const notJson = await ingestNdjson({ pg: pool }, boxId, chunked('{"run_id":', 10)).catch((e: unknown) => e);
    expect(notJson).toMatchObject({ code: 'bad_request', message: 'line 1: not valid JSON' });
  });

  it('refuses a box that does not exist or has no tenant, writing nothing', async () => {
    const missing = await ingestNdjson({ pg: pool }, '00000000-0000-4000-8000-000000000000', chunked('', 1)).catch(
      (e: unknown) => e,
    );
    expect(missing).toMatchObject({ code: 'not_found' });
    const garbage = await ingestNdjson({ pg: pool }, "x'; drop table boxes; --", chunked('', 1)).catch(
      (e: unknown) => e,
    );
    expect(garbage).toMatchObject({ code: 'bad_request' });
    const orphan = await pool.query<{ id: string }>(
      `INSERT INTO boxes (provider, status) VALUES ('local', 'ready') RETURNING id`,
    );
    const lines = [...ndjsonLines(succeededRun('o-1', 'nd', 1))].join('');
    const unowned = await ingestNdjson({ pg: pool }, orphan.rows[0]!.id, chunked(lines, 100)).catch((e: unknown) => e);
    expect(unowned).toMatchObject({ code: 'unprocessable' });
    const stored = await pool.query('SELECT count(*)::int AS n FROM usage_events WHERE box_id = $1', [
      orphan.rows[0]!.id,
    ]);
    expect(stored.rows[0].n).toBe(0);
  });
});
