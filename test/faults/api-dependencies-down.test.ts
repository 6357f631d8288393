import { randomBytes, randomUUID } from 'node:crypto';
import { createPrismaClient, type PrismaClient, seedPlans } from '@paddock/db';
import { closeQueues, createQueues } from '@paddock/jobs';
import { signupTenant } from '@paddock/services';
import { createVault } from '@paddock/vault';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, spawnApp } from '../support/spawn-app';
import { waitFor } from '../support/wait-for';
import { type PrivateServices, startPrivateServices } from './support/private-services';

// The API as its own process on a PostgreSQL and a Redis of this test's own, which the test stops and starts for
// real. While one is gone the API answers 503 with Retry-After in the one error shape (never a 500 `internal`), keeps
// running, and serves again by itself once the service is back.
describe('the API while PostgreSQL or Redis is down', () => {
  let services: PrivateServices;
  let prisma: PrismaClient;
  let api: AppProcess;
  let base = '';
  let apiKey = '';

  beforeAll(async () => {
    services = await startPrivateServices({ postgres: true, redis: true });
    prisma = createPrismaClient(services.databaseUrl, { poolMax: 2 });
    await seedPlans(prisma, { provider: 'local' });
    const masterKey = randomBytes(32).toString('base64');
    const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1 });
    const queues = createQueues(redis, 'faults');
    const signup = await signupTenant(
      { prisma, queues, vault: createVault(masterKey) },
      {
        email: `down-${randomUUID()}@example.com`,
        workspaceName: 'Down',
        plan: 'starter',
        idempotencyKey: randomUUID(),
      },
    );
    apiKey = signup.reply.apiKey.key;
    await closeQueues(queues);
    redis.disconnect();
    await prisma.$disconnect();
    api = spawnApp('apps/api/src/main.ts', {
      DATABASE_URL: services.databaseUrl,
      REDIS_URL: services.redisUrl,
      QUEUE_PREFIX: 'faults',
      PADDOCK_MASTER_KEY: masterKey,
      PORT: '0',
      LOG_LEVEL: 'info',
    });
    await api.waitForLog('Server listening', 60_000);
    base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(api.output())?.[1] ?? '';
  }, 120_000);

  afterAll(async () => {
    await api?.stop('SIGKILL');
    await services?.close();
  });

  const me = () => fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${apiKey}` } });
  const putSecret = (value: string) =>
    fetch(`${base}/v1/secrets/API_TOKEN`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value }),
    });

  async function expectUnavailable(response: Response, ...codes: string[]): Promise<void> {
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await response.json()) as { error: { code: string; message: string; requestId: string } };
    expect(codes).toContain(body.error.code);
    expect(body.error.requestId).toBe(response.headers.get('x-request-id'));
    expect(body.error.message).not.toMatch(/prisma|ECONN|at .*\.ts/i);
  }

  it('answers 503 database_unavailable while PostgreSQL is down and recovers by itself', async () => {
    expect((await me()).status).toBe(200);
    await services.stopPostgres();
    // Reads, writes and the login path alike; every answer is the 503, none a 500.
    for (let i = 0; i < 5; i++) {
      await expectUnavailable(await me(), 'database_unavailable');
      await expectUnavailable(await putSecret(`v${i}`), 'database_unavailable');
    }
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toContain('postgres');
    expect(api.child.exitCode).toBeNull();

    await services.startPostgres();
    await waitFor('the API to serve again', async () => (await me()).status === 200, 30_000);
    expect((await putSecret('after')).status).toBeLessThan(300);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(api.output()).not.toContain('"code":"internal"');
  }, 90_000);

  it('answers 503 with Retry-After where it needs Redis, serves reads meanwhile, and recovers by itself', async () => {
    await services.killRedis();
    // The write's own rate limit (a Redis counter) or its push to the queue: whichever meets Redis first says so.
    await expectUnavailable(await putSecret('while-redis-down'), 'upstream_unavailable', 'redis_unavailable');
    // Reading one's own identity needs only PostgreSQL.
    expect((await me()).status).toBe(200);
    expect(api.child.exitCode).toBeNull();

    await services.startRedis();
    await waitFor('writes to work again', async () => (await putSecret('redis-back')).status < 300, 30_000);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  }, 90_000);
});
