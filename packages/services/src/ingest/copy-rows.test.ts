import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyField, copyRows } from './copy-rows';

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

async function withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await work(client);
  } finally {
    client.release();
  }
}

describe('copyRows', () => {
  it('copies text with tabs, newlines, backslashes and nulls back exactly, across several chunks', async () => {
    const tricky = ['plain', 'tab\there', 'line\nbreak', 'cr\rlf\r\n', 'back\\slash \\N \\t', '', '\\'];
    const rows = Array.from({ length: 5_000 }, (_, i) => ({
      n: i,
      text: i < tricky.length ? (tricky[i] as string) : `row ${i} ${'x'.repeat(100)}`,
      maybe: i % 3 === 0 ? null : `v${i}`,
      doc: JSON.stringify({ i, s: 'quote " and \\ and \n' }),
    }));
    const copied = await withClient(async (client) => {
      await client.query('CREATE TEMP TABLE copied (n int, text text, maybe text, doc jsonb)');
      const count = await copyRows(
        client,
        'COPY copied (n, text, maybe, doc) FROM STDIN',
        rows.map((r) => [r.n, copyField(r.text), copyField(r.maybe), copyField(r.doc)].join('\t')),
      );
      const stored = await client.query<{ n: number; text: string; maybe: string | null; doc: unknown }>(
        'SELECT n, text, maybe, doc FROM copied ORDER BY n',
      );
      return { count, stored: stored.rows };
    });
    expect(copied.count).toBe(rows.length);
    expect(copied.stored).toEqual(rows.map((r) => ({ ...r, doc: JSON.parse(r.doc) })));
  });

  it("rejects with PostgreSQL's error for a bad row, and the client goes on after the rollback", async () => {
    const outcome = await withClient(async (client) => {
      await client.query('CREATE TEMP TABLE numbers (n int)');
      await client.query('BEGIN');
      await client.query('INSERT INTO numbers VALUES (1)');
      const error = await copyRows(client, 'COPY numbers (n) FROM STDIN', ['2', 'three', '4']).catch((e) => e);
      await client.query('ROLLBACK');
      const after = await client.query<{ n: number }>('SELECT n FROM numbers');
      return { error, after: after.rows };
    });
    expect(outcome.error).toBeInstanceOf(Error);
    expect(outcome.error.code).toBe('22P02'); // invalid_text_representation
    expect(outcome.after).toEqual([]);
  });

  it('rejects a statement that fails before the copy starts', async () => {
    const error = await withClient((client) => copyRows(client, 'COPY no_such_table (n) FROM STDIN', ['1'])).catch(
      (e) => e,
    );
    expect(error.code).toBe('42P01'); // undefined_table
  });
});
