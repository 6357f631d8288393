import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, TEST_FRONT_DOOR, type TestApp } from '../../apps/api/src/test-app';
import { aliasBombDefinition } from '../support/hostile-chains';
import { signUp, signUpWithPassword, signupRequest, startTenantTestApp } from './support';

const signupBody = (label: string) => {
  const unique = `${label}-${randomUUID().slice(0, 8)}`;
  return { email: `${unique}@example.com`, workspaceName: `Front ${unique}`, plan: 'starter' };
};

describe('signup limits that hold against address games', () => {
  let t: TestApp;
  let behindProxy: TestApp;

  beforeAll(async () => {
    [t, behindProxy] = await Promise.all([
      startTenantTestApp({ signupRateLimit: { limit: 3, windowMs: 60_000 } }),
      startTenantTestApp({ signupRateLimit: { limit: 3, windowMs: 60_000 }, trustedProxies: ['127.0.0.1'] }),
    ]);
  });
  afterAll(() => Promise.all([t.close(), behindProxy.close()]));

  it('counts 50 addresses from 50 different /64s of one IPv6 /56 as one client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) {
      const remoteAddress = `2001:db8:56:${(0x5600 + i).toString(16)}::${i + 1}`;
      statuses.push((await t.app.inject({ ...signupRequest(signupBody('v6')), remoteAddress })).statusCode);
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(47);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const reply = await t.app.inject({
        ...signupRequest(signupBody('xff')),
        remoteAddress: '198.51.100.40',
        headers: { 'idempotency-key': randomUUID(), 'x-forwarded-for': `203.0.113.${i + 1}` },
      });
      statuses.push(reply.statusCode);
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429]);

    // Behind a trusted proxy the forwarded client is the subject; the same header from anyone else is not believed.
    const viaProxy: number[] = [];
    for (let i = 0; i < 5; i++) {
      const reply = await behindProxy.app.inject({
        ...signupRequest(signupBody('proxied')),
        remoteAddress: '127.0.0.1',
        headers: { 'idempotency-key': randomUUID(), 'x-forwarded-for': `203.0.113.${i + 1}` },
      });
      viaProxy.push(reply.statusCode);
    }
    expect(viaProxy).toEqual([202, 202, 202, 202, 202]);
    const spoofed: number[] = [];
    for (let i = 0; i < 5; i++) {
      const reply = await behindProxy.app.inject({
        ...signupRequest(signupBody('spoof')),
        remoteAddress: '198.51.100.41',
        headers: { 'idempotency-key': randomUUID(), 'x-forwarded-for': `203.0.113.${i + 100}` },
      });
      spoofed.push(reply.statusCode);
    }
    expect(spoofed).toEqual([202, 202, 202, 429, 429]);
  });

  it('spends none of the budget on a request that fails validation', async () => {
    const remoteAddress = '198.51.100.42';
    for (let i = 0; i < 5; i++) {
      const bad = await t.app.inject({
        ...signupRequest({ ...signupBody('bad'), email: 'not an email' }),
        remoteAddress,
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe('validation_failed');
    }
    const good: number[] = [];
    for (let i = 0; i < 3; i++) {
      good.push((await t.app.inject({ ...signupRequest(signupBody('good')), remoteAddress })).statusCode);
    }
    expect(good).toEqual([202, 202, 202]);
  });

  it('answers a taken email with a 409 that says nothing of the account that holds it', async () => {
    const first = signupBody('taken');
    const owner = await t.app.inject({ ...signupRequest(first), remoteAddress: '198.51.100.43' });
    expect(owner.statusCode).toBe(202);
    const { tenant, user } = owner.json() as { tenant: { id: string; slug: string }; user: { id: string } };
    const again = await t.app.inject({
      ...signupRequest({ ...signupBody('other'), email: first.email }),
      remoteAddress: '198.51.100.44',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('conflict');
    for (const secret of [tenant.id, tenant.slug, first.workspaceName, user.id])
      expect(again.body).not.toContain(secret);
  });
});

describe('tenant login and password work under a flood', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTenantTestApp({
      frontDoor: { ...TEST_FRONT_DOOR, passwordWork: { concurrency: 2, queue: 4 } },
    });
  });
  afterAll(() => t.close());

  it('lets the owner log in from a clean address while a guesser is locked out of the account', async () => {
    const owner = await signUpWithPassword(t.app, 'lockout');
    const login = (password: string, remoteAddress: string) =>
      t.app.inject({ method: 'POST', url: '/v1/sessions', payload: { email: owner.email, password }, remoteAddress });
    const guesses: number[] = [];
    // Sequential, so the password-work cap plays no part: only the per-account limit (10 per window) answers.
    for (let i = 0; i < 15; i++) guesses.push((await login(`wrong guess ${i}`, '203.0.113.50')).statusCode);
    expect(guesses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(guesses.slice(10)).toEqual(Array(5).fill(429));
    expect((await login(owner.password, '203.0.113.50')).statusCode).toBe(429);
    expect((await login(owner.password, '203.0.113.51')).statusCode).toBe(201);
  });

  it('keeps concurrent scrypt work within the cap and refuses the overflow at once with Retry-After', async () => {
    const owner = await signUpWithPassword(t.app, 'flood');
    const operatorEmail = `op-${randomUUID().slice(0, 8)}@example.com`;
    await createOperator(t.prisma, operatorEmail, 'operator password');
    const before = t.passwordWork.stats();
    // Tenant and operator logins from 60 addresses (no rate limit answers): only the password-work gate can.
    const flood = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        t.app.inject({
          method: 'POST',
          url: i % 2 ? '/v1/sessions' : '/v1/operator/sessions',
          payload: { email: i % 2 ? owner.email : operatorEmail, password: `wrong ${i}` },
          remoteAddress: `198.18.0.${i + 1}`,
        }),
      ),
    );
    const stats = t.passwordWork.stats();
    expect(stats.peakActive).toBeLessThanOrEqual(2);
    expect(stats.peakWaiting).toBeLessThanOrEqual(4);
    expect(stats.active).toBe(0);
    expect(stats.waiting).toBe(0);
    const overloaded = flood.filter((r) => r.statusCode === 503);
    expect(overloaded.length).toBe(stats.refused - before.refused);
    // The burst arrives within a few Redis round trips, far sooner than two logins' scrypt finish: most are refused.
    expect(overloaded.length).toBeGreaterThan(0);
    expect(overloaded[0]?.json().error.code).toBe('overloaded');
    expect(overloaded[0]?.headers['retry-after']).toBe('1');
    expect(flood.every((r) => r.statusCode === 503 || r.statusCode === 401)).toBe(true);
  });
});

describe('per-workspace write limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTenantTestApp({ frontDoor: { ...TEST_FRONT_DOOR, tenantWrites: { limit: 3, windowMs: 60_000 } } });
  });
  afterAll(() => t.close());

  it('answers 429 past the workspace budget from any address; reads and other workspaces go on', async () => {
    const [noisy, quiet] = [await signUp(t.app, 'noisy'), await signUp(t.app, 'quiet')];
    const startRun = (headers: Record<string, string>, i: number) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/runs',
        headers,
        payload: { chain: 'no-such-chain' },
        remoteAddress: `198.51.100.${60 + i}`,
      });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await startRun(noisy.headers, i)).statusCode);
    expect(statuses.slice(0, 3).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(3)).toEqual([429, 429]);
    const refused = await startRun(noisy.headers, 9);
    expect(refused.json().error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.app.inject({ method: 'GET', url: '/v1/runs', headers: noisy.headers })).statusCode).toBe(200);
    expect((await startRun(quiet.headers, 10)).statusCode).not.toBe(429);
  });
});

describe('hostile chain definitions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTenantTestApp();
  });
  afterAll(() => t.close());

  it('answers an alias bomb with a located 400 and stores nothing', async () => {
    const ws = await signUp(t.app, 'bomb');
    const definition = aliasBombDefinition();
    const reply = await t.app.inject({
      method: 'POST',
      url: '/v1/chains',
      headers: ws.headers,
      payload: { definition },
    });
    expect(reply.statusCode).toBe(400);
    expect(reply.json().error.code).toBe('validation_failed');
    expect(reply.body).toMatch(/too many aliases/);
    expect(await t.prisma.chain.count({ where: { tenantId: ws.tenantId } })).toBe(0);
  });

  it('refuses a definition of 20,000 keys past the body limit with 413 payload_too_large', async () => {
    const ws = await signUp(t.app, 'huge');
    const extra = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]));
    const definition = JSON.stringify({ name: 'x', agents: { a: { run: 'echo' } }, ...extra });
    const reply = await t.app.inject({
      method: 'POST',
      url: '/v1/chains',
      headers: ws.headers,
      payload: { definition },
    });
    expect(reply.statusCode).toBe(413);
    expect(reply.json().error.code).toBe('payload_too_large');
  });
});
