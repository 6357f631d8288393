import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeFeed } from './change-feed';
import { notifyChanges } from './change-topics';

let db: TestDatabase;
let pool: pg.Pool;
const quiet = { info: () => {}, warn: () => {} };

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 3 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

async function inTransaction(work: (client: pg.PoolClient) => Promise<void>, commit = true): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await work(client);
    await client.query(commit ? 'COMMIT' : 'ROLLBACK');
  } finally {
    client.release();
  }
}

/** Whether `next` resolved before the other promise did (a change arrived, rather than the long timeout). */
async function wokeBefore(next: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([next.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

describe('ChangeFeed', () => {
  it('wakes a watch when a transaction announcing its topic commits, not when it rolls back or names another', async () => {
    const feed = new ChangeFeed({ databaseUrl: db.url, log: quiet });
    await feed.start();
    try {
      expect(feed.isListening).toBe(true);
      const watch = feed.watch({ kind: 'decisions', tenantId: 't-1' });
      const waiting = watch.next(60_000);
      await inTransaction((c) => notifyChanges(c, [{ kind: 'decisions', tenantId: 't-1' }]), false);
      await inTransaction((c) =>
        notifyChanges(c, [
          { kind: 'decisions', tenantId: 't-2' },
          { kind: 'run', runId: 'r' },
        ]),
      );
      expect(await wokeBefore(waiting, 500)).toBe(false);
      await inTransaction((c) => notifyChanges(c, [{ kind: 'decisions', tenantId: 't-1' }]));
      expect(await wokeBefore(waiting, 10_000)).toBe(true);
      watch.close();
    } finally {
      await feed.close();
    }
  });

  it('remembers a change that landed while the reader was busy', async () => {
    const feed = new ChangeFeed({ databaseUrl: db.url, log: quiet });
    await feed.start();
    try {
      const watch = feed.watch({ kind: 'run', runId: 'r-busy' });
      await inTransaction((c) => notifyChanges(c, [{ kind: 'run', runId: 'r-busy' }]));
      // Not waiting yet: the notification is delivered to the feed and kept for the next call.
      await new Promise((r) => setTimeout(r, 300));
      expect(await wokeBefore(watch.next(60_000), 200)).toBe(true);
      // Consumed: the call after that waits again.
      expect(await wokeBefore(watch.next(60_000), 300)).toBe(false);
      watch.close();
    } finally {
      await feed.close();
    }
  });

  it('falls back to short waits while its connection is gone, reconnects and wakes everyone', async () => {
    const warnings: string[] = [];
    const feed = new ChangeFeed({
      databaseUrl: db.url,
      log: { info: () => {}, warn: (_f, m) => warnings.push(m) },
      fallbackMs: 200,
      reconnectDelayMs: 100,
    });
    await feed.start();
    try {
      const watch = feed.watch({ kind: 'decisions', tenantId: 't-3' });
      const waiting = watch.next(60_000);
      const killed = await pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
      );
      expect(killed.rowCount).toBe(1);
      // Losing the connection wakes the reader (it may have missed a change).
      expect(await wokeBefore(waiting, 10_000)).toBe(true);
      expect(warnings).toContain('change feed lost its connection; readers poll until it is back');
      const deadline = Date.now() + 10_000;
      while (!feed.isListening && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(feed.isListening).toBe(true);
      await watch.next(1); // whatever the reconnect woke
      const again = watch.next(60_000);
      await inTransaction((c) => notifyChanges(c, [{ kind: 'decisions', tenantId: 't-3' }]));
      expect(await wokeBefore(again, 10_000)).toBe(true);
      watch.close();
    } finally {
      await feed.close();
    }
  });
});
