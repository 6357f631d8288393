import { hostname } from 'node:os';
import { parseConfig } from '@paddock/platform';
import { z } from 'zod';

const WorkerConfigSchema = z.object({
  DATABASE_URL: z.string().url({ message: 'DATABASE_URL must be a postgresql:// URL' }),
  REDIS_URL: z.string().url({ message: 'REDIS_URL must be a redis:// URL' }),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]+$/i)
    .default('paddock'),
  WORKER_ID: z.string().min(1).max(200).default(`${hostname()}:${process.pid}`),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  LOCK_DURATION_MS: z.coerce.number().int().min(500).default(30_000),
  STALLED_INTERVAL_MS: z.coerce.number().int().min(500).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
});

export type WorkerConfig = z.output<typeof WorkerConfigSchema>;

export function loadWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  return parseConfig('worker', WorkerConfigSchema, env);
}
