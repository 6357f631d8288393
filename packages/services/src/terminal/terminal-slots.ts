import { randomUUID } from 'node:crypto';
import { AppError } from '@paddock/contracts';

/** The two Redis calls the slots need (an ioredis client fits; the API owns the client). */
export interface SlotsRedis {
  eval(script: string, keys: number, ...args: (string | number)[]): Promise<unknown>;
  zrem(key: string, ...members: string[]): Promise<number>;
}

/**
 * Live terminal streams a workspace may hold at once, counted in Redis so every API process counts alike. Each
 * stream holds a lease (a member of one sorted set per tenant, scored by its expiry on Redis' clock) that its
 * process renews while the stream lives: a process that dies without releasing frees its slots within one lease.
 */
export interface TerminalSlotsOptions {
  redis: SlotsRedis;
  keyPrefix: string;
  /** Streams per workspace at once. */
  limit: number;
  /** A lease not renewed for this long is free again. Default 60 s (renewed every third of it). */
  leaseMs?: number;
}

export interface TerminalSlot {
  release(): Promise<void>;
}

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local renewed = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return renewed
`;

export class TerminalSlots {
  private readonly leaseMs: number;

  constructor(private readonly options: TerminalSlotsOptions) {
    this.leaseMs = options.leaseMs ?? 60_000;
  }

  /** Takes a slot of the tenant, or refuses with 429 `too_many_streams`. */
  async acquire(tenantId: string): Promise<TerminalSlot> {
    const key = `${this.options.keyPrefix}:terminal-streams:${tenantId}`;
    const member = randomUUID();
    const { redis, limit } = this.options;
    const taken = (await redis.eval(ACQUIRE, 1, key, limit, this.leaseMs, member)) as number;
    if (taken !== 1) {
      throw new AppError(
        'too_many_streams',
        `This workspace already has ${limit} terminal streams open; close one before opening another.`,
      );
    }
    const renewer = setInterval(() => {
      redis.eval(RENEW, 1, key, this.leaseMs, member).catch(() => undefined); // the next renewal tries again
    }, this.leaseMs / 3);
    renewer.unref();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(renewer);
        await redis.zrem(key, member);
      },
    };
  }
}
