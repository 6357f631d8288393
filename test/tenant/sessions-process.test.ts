import { randomBytes, randomUUID } from 'node:crypto';
import { createPrismaClient, type PrismaClient, seedPlans } from '@paddock/db';
import { createTestDatabase, readTestEnv, type TestDatabase, uniqueQueuePrefix } from '@paddock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, spawnApp } from '../support/spawn-app';

// The API as production runs it (apps/api/src/main.ts, config from the environment, the most verbose log level),
// over a real socket: passwords never reach the log or any answer, and the session lifetime comes from the config.
describe('API process: tenant sessions over HTTP', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let api: AppProcess;
  let base = '';
  const passwords = ['signup passphrase 9f3a', 'a wrong passphrase 77', 'changed passphrase c41d', 'tiny pass 1'];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, { poolMax: 2 });
    await seedPlans(prisma);
    api = spawnApp('apps/api/src/main.ts', {
      DATABASE_URL: db.url,
      REDIS_URL: readTestEnv().REDIS_URL,
      QUEUE_PREFIX: uniqueQueuePrefix(),
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'trace',
      PADDOCK_MASTER_KEY: randomBytes(32).toString('base64'),
      TENANT_SESSION_TTL_MS: '120000',
      LOGIN_RATE_LIMIT_PER_ACCOUNT: '3',
    });
    await api.waitForLog('Server listening');
    base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(api.output())?.[1] ?? '';
    expect(base).not.toBe('');
  });
  afterAll(async () => {
    await api?.stop();
    await prisma?.$disconnect();
    await db?.drop();
  });

  const send = (method: string, path: string, body?: object, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it('signs up with a password, logs in for the configured lifetime, changes it; no password in logs or answers', async () => {
    const [first, wrong, changed, tiny] = passwords as [string, string, string, string];
    const email = 'proc-session@example.com';
    const answers: string[] = [];
    const record = async (reply: Response) => {
      answers.push(await reply.clone().text());
      return reply;
    };
    const signup = await record(
      await send(
        'POST',
        '/v1/signup',
        { email, workspaceName: 'Process Sessions', plan: 'starter', password: first },
        {
          'idempotency-key': randomUUID(),
        },
      ),
    );
    expect(signup.status).toBe(202);
    const tooShort = await record(
      await send(
        'POST',
        '/v1/signup',
        { email: 'x@example.com', workspaceName: 'Short', plan: 'starter', password: tiny },
        {
          'idempotency-key': randomUUID(),
        },
      ),
    );
    expect(tooShort.status).toBe(400);

    expect((await record(await send('POST', '/v1/sessions', { email, password: wrong }))).status).toBe(401);
    const before = Date.now();
    const login = await record(await send('POST', '/v1/sessions', { email, password: first }));
    expect(login.status).toBe(201);
    const session = (await login.json()) as { token: string; expiresAt: string };
    // TENANT_SESSION_TTL_MS=120000 from the environment.
    const lifetime = Date.parse(session.expiresAt) - before;
    expect(lifetime).toBeGreaterThan(110_000);
    expect(lifetime).toBeLessThanOrEqual(125_000);
    const auth = { authorization: `Bearer ${session.token}` };
    const me = await record(await send('GET', '/v1/me', undefined, auth));
    expect(me.status).toBe(200);
    const change = await record(
      await send('PUT', '/v1/me/password', { currentPassword: first, newPassword: changed }, auth),
    );
    expect(change.status).toBe(204);
    expect((await record(await send('POST', '/v1/sessions', { email, password: changed }))).status).toBe(201);
    // LOGIN_RATE_LIMIT_PER_ACCOUNT=3 from the environment: the fourth attempt on this account is refused.
    const limited = await record(await send('POST', '/v1/sessions', { email, password: changed }));
    expect(limited.status).toBe(429);

    const log = api.output();
    expect(log).toContain('/v1/sessions');
    for (const password of passwords) {
      expect(log).not.toContain(password);
      for (const answer of answers) expect(answer).not.toContain(password);
    }
    expect(log).not.toContain(session.token);
  });
});
