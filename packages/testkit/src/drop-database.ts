import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { readTestEnv } from './env';

/** What the dropping session calls itself in pg_stat_activity (its own test looks for it). */
export const DROP_APPLICATION_NAME = 'paddock-testkit-drop';
/** Longest wait for the database's sessions to close on their own before they are terminated. */
const CLOSING_GRACE_MS = 3_000;
const POLL_MS = 10;

/**
 * Drops a test database once the connections still closing have closed, then forces out any left.
 *
 * Why wait: node-postgres's `pool.end()` (and so Prisma's `$disconnect()` through its pg adapter) resolves once its
 * clients are told to end, not once their connections are closed (brianc/node-postgres#2328). `DROP ... WITH
 * (FORCE)` right after terminated such a connection mid-close: the server's FATAL 57P01 reached a client whose pool
 * re-emitted it as an 'error' nobody listened to, and the whole run went red after every test had passed. A session
 * still open after the grace is a leak (a process the test did not stop); it is terminated as before.
 */
export async function dropTestDatabase(name: string): Promise<void> {
  const admin = new pg.Client({
    connectionString: readTestEnv().DATABASE_ADMIN_URL,
    application_name: DROP_APPLICATION_NAME,
  });
  await admin.connect();
  try {
    const deadline = Date.now() + CLOSING_GRACE_MS;
    while (Date.now() < deadline) {
      const { rows } = await admin.query<{ open: number }>(
        `SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`,
        [name],
      );
      if (rows[0]?.open === 0) break;
      await delay(POLL_MS);
    }
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
