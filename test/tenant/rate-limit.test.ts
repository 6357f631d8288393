import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { signupRequest, startTenantTestApp } from './support';

describe('signup rate limit per client address', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTenantTestApp({ signupRateLimit: { limit: 3, windowMs: 60_000 } });
  });
  afterAll(() => t.close());

  const body = (i: number) => ({ email: `rl${i}@example.com`, workspaceName: `Rate ${i}`, plan: 'starter' });

  it('answers 429 rate_limited with Retry-After past the limit, writing nothing; other addresses go on', async () => {
    const from = (i: number, remoteAddress: string) => t.app.inject({ ...signupRequest(body(i)), remoteAddress });
    const allowed = [await from(1, '198.51.100.7'), await from(2, '198.51.100.7'), await from(3, '198.51.100.7')];
    expect(allowed.map((r) => r.statusCode)).toEqual([202, 202, 202]);
    expect(allowed.map((r) => r.headers['ratelimit-remaining'])).toEqual(['2', '1', '0']);
    const tenants = await t.prisma.tenant.count();

    const limited = await from(4, '198.51.100.7');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/try again/) });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // A malformed request is answered for what it is and spends nothing (front-door.test.ts checks the budget).
    const malformed = await t.app.inject({
      method: 'POST',
      url: '/v1/signup',
      remoteAddress: '198.51.100.7',
      payload: '{',
    });
    expect(malformed.statusCode).toBe(415);
    expect(await t.prisma.tenant.count()).toBe(tenants);

    expect((await from(5, '198.51.100.8')).statusCode).toBe(202);
    // Another address in the same IPv6 /56 shares its budget.
    const v6 = ['2001:db8:7:7::1', '2001:db8:7:7::2', '2001:db8:7:7::3', '2001:db8:7:7::4'];
    const answers = [];
    for (const [i, address] of v6.entries()) answers.push((await from(10 + i, address)).statusCode);
    expect(answers).toEqual([202, 202, 202, 429]);
  });
});
