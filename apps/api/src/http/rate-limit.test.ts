import { randomBytes } from 'node:crypto';
import { connectTestRedis } from '@paddock/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { clientSubject, createRateLimiter } from './rate-limit';

describe('sliding-window rate limiter (real Redis)', () => {
  const redis = connectTestRedis();
  const prefix = `t${randomBytes(5).toString('hex')}:rl`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('allows `limit` requests per window, then refuses with the time until the oldest leaves it', async () => {
    const limiter = createRateLimiter(redis, prefix, { limit: 3, windowMs: 60_000 });
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await limiter.consume('1.2.3.4'));
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
      [false, 0],
    ]);
    expect(decisions[3]?.retryAfterMs).toBeGreaterThan(58_000);
    expect(decisions[3]?.retryAfterMs).toBeLessThanOrEqual(60_000);
    // Refused requests are not logged: the set holds only the accepted ones.
    expect(await redis.zcard(`${prefix}:1.2.3.4`)).toBe(3);
    expect((await limiter.consume('5.6.7.8')).allowed).toBe(true);
  });

  it('lets requests in again once the window has slid past the oldest', async () => {
    const limiter = createRateLimiter(redis, prefix, { limit: 2, windowMs: 300 });
    expect((await limiter.consume('slide')).allowed).toBe(true);
    expect((await limiter.consume('slide')).allowed).toBe(true);
    const refused = await limiter.consume('slide');
    expect(refused.allowed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, refused.retryAfterMs + 20));
    expect((await limiter.consume('slide')).allowed).toBe(true);
    // The key expires with its window, so idle clients cost no memory.
    expect(await redis.pttl(`${prefix}:slide`)).toBeLessThanOrEqual(300);
  });

  it('counts IPv6 clients per /56 and IPv4-mapped addresses as IPv4', () => {
    expect(clientSubject('203.0.113.9')).toBe('203.0.113.9');
    expect(clientSubject('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(clientSubject('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:0::/56');
    expect(clientSubject('2001:0db8:0001:00ff:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:0::/56');
    expect(clientSubject('2001:db8:1:1234::1')).toBe('2001:db8:1:1200::/56');
    expect(clientSubject('2001:db8::1')).toBe('2001:db8:0:0::/56');
    expect(clientSubject('::1')).toBe('0:0:0:0::/56');
  });
});
