import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { createTestDatabase } from './database';
import { DROP_APPLICATION_NAME } from './drop-database';
import { readTestEnv } from './env';

/** A client of the test database that records the errors the server sends it instead of throwing them. */
async function openClient(url: string): Promise<{ client: pg.Client; errors: string[] }> {
  const client = new pg.Client({ connectionString: url });
  const errors: string[] = [];
  client.on('error', (error) => errors.push(`${(error as { code?: string }).code ?? ''} ${error.message}`));
  await client.connect();
  return { client, errors };
}

describe('dropping a test database', () => {
  it('waits for a connection still open to close instead of terminating it (57P01)', async () => {
    const db = await createTestDatabase();
    const { client, errors } = await openClient(db.url);
    // Watched from the admin role's own database (a session in the test database would itself hold up the drop).
    const watcher = new pg.Client({ connectionString: readTestEnv().DATABASE_ADMIN_URL });
    await watcher.connect();
    try {
      const dropped = db.drop();
      // The drop is under way and waiting: its session is polling for the database's sessions, not dropping.
      await vi.waitFor(
        async () => {
          const { rows } = await watcher.query<{ query: string }>(
            'SELECT query FROM pg_stat_activity WHERE application_name = $1',
            [DROP_APPLICATION_NAME],
          );
          if (!rows.some((r) => r.query.includes('pg_stat_activity'))) throw new Error('the drop is not waiting');
        },
        { timeout: 20_000, interval: 10 },
      );
      expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await client.end(); // what a pool's end() does for each client, without waiting for the close
      await dropped;
      expect(errors).toEqual([]);
      const { rows } = await watcher.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.name]);
      expect(rows).toEqual([]);
    } finally {
      await watcher.end();
    }
  });

  it('still drops a database whose connection never closes (a leak), terminating it after the grace', async () => {
    const db = await createTestDatabase();
    const { client, errors } = await openClient(db.url);
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    await db.drop();
    await ended;
    expect(errors.join('\n')).toContain('57P01');
  });
});
