import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from './server';

/** A loopback port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('/readyz with its dependencies down', () => {
  let port: number;
  let redis: Redis;

  beforeAll(async () => {
    port = await closedPort();
    redis = new Redis({
      host: '127.0.0.1',
      port,
      password: 'redis-secret-pw',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    // ioredis reports the refused connection as an event too; the check's rejected promise is what /readyz sees.
    redis.on('error', () => {});
  });
  afterAll(() => redis.disconnect());

  it('names each failed dependency and says nothing of hosts, ports, credentials or driver messages', async () => {
    const app = await buildServer({
      logLevel: 'silent',
      bodyLimitBytes: 4_096,
      readiness: {
        postgres: async () => {
          // Real refused connections to a closed loopback port, with credentials in the URL as in production.
          const client = new pg.Client({
            connectionString: `postgresql://paddock_app:pg-secret-pw@127.0.0.1:${port}/paddock_db`,
            connectionTimeoutMillis: 2_000,
          });
          await client.connect();
        },
        redis: async () => {
          await redis.connect();
        },
        migrations: async () => {
          throw new Error('2 migration(s) not applied: 20260101_add_users, 20260102_secret_table');
        },
      },
    });
    const ready = await app.inject({ url: '/readyz' });
    await app.close();
    expect(ready.statusCode).toBe(503);
    const body = ready.json() as { status: string; checks: Record<string, { ok: boolean; error?: string }> };
    expect(body.status).toBe('not_ready');
    expect(Object.keys(body.checks).sort()).toEqual(['migrations', 'postgres', 'redis']);
    for (const name of ['postgres', 'redis', 'migrations']) {
      expect(body.checks[name]?.ok).toBe(false);
      expect(body.checks[name]?.error).toMatch(new RegExp(`^${name} check failed`));
    }
    for (const internal of [
      '127.0.0.1',
      String(port),
      'ECONNREFUSED',
      'connect',
      'secret',
      'paddock_app',
      'paddock_db',
      '20260101',
    ]) {
      expect(ready.body).not.toContain(internal);
    }
  });
});
