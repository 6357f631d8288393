import { randomBytes, randomUUID } from 'node:crypto';
import { createPrismaClient, type PrismaClient, seedPlans } from '@paddock/db';
import { createTestDatabase, readTestEnv, type TestDatabase, uniqueQueuePrefix } from '@paddock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, spawnApp } from '../support/spawn-app';

// The API as production runs it (apps/api/src/main.ts in its own process, config from the environment), over a
// real socket: signup, the key it returns, the limit per address.
describe('API process: signup over HTTP', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let api: AppProcess;
  let base = '';
  const masterKey = randomBytes(32).toString('base64');
  const env = () => ({
    DATABASE_URL: db.url,
    REDIS_URL: readTestEnv().REDIS_URL,
    QUEUE_PREFIX: uniqueQueuePrefix(),
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    PADDOCK_MASTER_KEY: masterKey,
    SIGNUP_RATE_LIMIT: '2',
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, { poolMax: 2 });
    await seedPlans(prisma);
    api = spawnApp('apps/api/src/main.ts', env());
    await api.waitForLog('Server listening');
    // Port 0: the kernel picks a free one, which the server logs.
    base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(api.output())?.[1] ?? '';
    expect(base).not.toBe('');
  });
  afterAll(async () => {
    await api?.stop();
    await prisma.$disconnect();
    await db.drop();
  });

  const signup = (body: Record<string, string>) =>
    fetch(`${base}/v1/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify(body),
    });

  it('signs up, authenticates with the returned key and limits signups per address; no key in the logs', async () => {
    const reply = await signup({ email: 'proc@example.com', workspaceName: 'Process', plan: 'starter' });
    expect(reply.status).toBe(202);
    const body = (await reply.json()) as { apiKey: { key: string } };
    const secrets = await fetch(`${base}/v1/secrets/TOKEN`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${body.apiKey.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'process-secret-value' }),
    });
    expect(secrets.status).toBe(201);
    expect((await signup({ email: 'proc2@example.com', workspaceName: 'Process 2', plan: 'starter' })).status).toBe(
      202,
    );
    const limited = await signup({ email: 'proc3@example.com', workspaceName: 'Process 3', plan: 'starter' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(api.output()).not.toContain(body.apiKey.key);
    expect(api.output()).not.toContain('process-secret-value');
    expect(api.output()).not.toContain(masterKey);
  });

  it('refuses to start without a usable master key, without printing it', async () => {
    const bad = 'not-a-key-but-secret-looking';
    const broken = spawnApp('apps/api/src/main.ts', { ...env(), PADDOCK_MASTER_KEY: bad });
    // SIGCONT changes nothing for a running process: this only waits for the exit the bad config causes.
    const code = await broken.stop('SIGCONT');
    expect(code).toBe(78);
    expect(broken.output()).toContain('PADDOCK_MASTER_KEY');
    expect(broken.output()).not.toContain(bad);
  });
});
