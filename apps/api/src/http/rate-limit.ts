import { randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { AppError } from '@paddock/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';

export interface RateLimitRule {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When a refused caller may try again (0 when allowed). */
  retryAfterMs: number;
}

// A sliding log in one sorted set per client: timestamps of its accepted requests within the window. Atomic in
// Redis (one script), timed by Redis' clock so every API process counts alike. Refused requests are not logged, so
// a caller that keeps knocking is let in again as soon as its oldest accepted request leaves the window.
const SLIDING_LOG = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, limit - count - 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, 0, math.max(1, tonumber(oldest[2]) + window - now)}
`;

export interface RateLimiter {
  consume(subject: string): Promise<RateLimitDecision>;
}

export function createRateLimiter(redis: Redis, keyPrefix: string, rule: RateLimitRule): RateLimiter {
  return {
    async consume(subject) {
      const result = (await redis.eval(
        SLIDING_LOG,
        1,
        `${keyPrefix}:${subject}`,
        rule.windowMs,
        rule.limit,
        randomBytes(6).toString('hex'),
      )) as [number, number, number];
      const [allowed, remaining, retryAfterMs] = result;
      return { allowed: allowed === 1, limit: rule.limit, remaining, retryAfterMs };
    },
  };
}

/**
 * The rate-limit subject for a client address. IPv6 clients are counted per /56: one subscriber is routinely
 * delegated a /56 (256 /64 networks; RIPE-690 recommends /56 or /48 for home and business lines), so keying by /64
 * would hand one customer 256 budgets for the cost of changing a prefix. A /56 is still one customer's, so strangers
 * do not share a budget the way they would behind a /48. IPv4-mapped IPv6 addresses count as the IPv4 address.
 */
export function clientSubject(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(ip)) return ip;
  if (isIPv6(ip)) {
    const groups = expandIPv6(ip);
    // The /56: three full groups and the high byte of the fourth.
    const fourth = (Number.parseInt(groups[3] ?? '0', 16) & 0xff00).toString(16);
    return `${groups.slice(0, 3).join(':')}:${fourth}::/56`;
  }
  return ip;
}

function expandIPv6(ip: string): string[] {
  const [head = '', tail] = ip.split('%')[0]?.split('::') ?? [''];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array(missing).fill('0'), ...right].map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''));
}

/**
 * An onRequest hook limiting requests per client address: runs before the body is read, so a flood costs one
 * Redis round trip per request. Answers 429 `rate_limited` with Retry-After (seconds) and RateLimit-* headers.
 */
export function limitPerClient(limiter: RateLimiter, what: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    let decision: RateLimitDecision;
    try {
      decision = await limiter.consume(clientSubject(request.ip));
    } catch (error) {
      // Refusing is the safe side: an unlimited signup endpoint is what the limit exists to prevent.
      throw new AppError('upstream_unavailable', 'Rate limiting is unavailable right now; try again shortly.', {
        cause: error,
      });
    }
    reply.header('ratelimit-limit', decision.limit);
    reply.header('ratelimit-remaining', decision.remaining);
    if (!decision.allowed) {
      const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      reply.header('retry-after', seconds);
      throw new AppError('rate_limited', `Too many ${what} from your address; try again in ${seconds} s.`);
    }
  };
}
