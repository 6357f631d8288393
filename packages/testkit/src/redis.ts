import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { readTestEnv } from './env';

/** A BullMQ key prefix of its own, so test files sharing one Redis never see each other's queues. */
export function uniqueQueuePrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export function connectTestRedis(): Redis {
  return new Redis(readTestEnv().REDIS_URL, { maxRetriesPerRequest: null });
}
