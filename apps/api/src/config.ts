import { isIP } from 'node:net';
import { join } from 'node:path';
import { parseConfig } from '@paddock/platform';
import { parseKeyring } from '@paddock/vault';
import { z } from 'zod';

const ApiConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  DATABASE_URL: z.string().url({ message: 'DATABASE_URL must be a postgresql:// URL' }),
  REDIS_URL: z.string().url({ message: 'REDIS_URL must be a redis:// URL' }),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]+$/i)
    .default('paddock'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1_024).default(1_048_576),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  // Encrypts tenant secrets and replayable signup answers at rest; scripts/start.sh generates one under .data/.
  PADDOCK_MASTER_KEY: z
    .string({ error: 'PADDOCK_MASTER_KEY is required: a 32-byte base64 key (or id:key,id:key for rotation)' })
    .refine(isKeyring, { message: 'must be a 32-byte base64 key, or id:base64,id:base64 with the active key first' }),
  /** Signups allowed per client address (IPv6: per /64) within SIGNUP_RATE_WINDOW_MS. */
  SIGNUP_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  SIGNUP_RATE_WINDOW_MS: z.coerce.number().int().min(1_000).default(900_000),
  /** How long a tenant user's login session (POST /v1/sessions) lasts; 12 hours by default. */
  TENANT_SESSION_TTL_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .max(30 * 24 * 3600_000)
    .default(12 * 3600_000),
  /** Tenant logins allowed per client address (IPv6: per /64), and per account, within LOGIN_RATE_WINDOW_MS. */
  LOGIN_RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).default(50),
  LOGIN_RATE_LIMIT_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
  LOGIN_RATE_WINDOW_MS: z.coerce.number().int().min(1_000).default(900_000),
  // Front door: what keeps floods and guessing off the API.
  /**
   * Addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed (comma-separated). Empty (the default):
   * the peer's own address is the client's, whatever X-Forwarded-For says, so a caller cannot pick its rate-limit
   * subject. Behind a load balancer, list exactly its addresses.
   */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry.length > 0),
    )
    .refine((entries) => entries.every(isAddressOrCidr), { message: 'must be IP addresses or CIDRs, comma-separated' }),
  /** Webhooks (issue 15): accept http://127.0.0.0/8 endpoint URLs. Tests and local development only. */
  WEBHOOKS_ALLOW_LOOPBACK: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  /** Operator logins per client address, and per operator account from one address, within LOGIN_RATE_WINDOW_MS. */
  OPERATOR_LOGIN_RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).default(20),
  OPERATOR_LOGIN_RATE_LIMIT_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
  /** Writes (POST/PUT/PATCH/DELETE) one workspace may make within TENANT_WRITE_RATE_WINDOW_MS, over all its keys. */
  TENANT_WRITE_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
  TENANT_WRITE_RATE_WINDOW_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** scrypt calls (logins, password signups and changes) running at once, and requests waiting for one. */
  PASSWORD_WORK_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  PASSWORD_WORK_QUEUE: z.coerce.number().int().min(0).default(32),
  /** Longest wait for a box's answer (start a run, decide, read an output) before the API answers 503. */
  BOX_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  /** A box's serve channel unused this long is closed (reopened on the next request). */
  BOX_CHANNEL_IDLE_MS: z.coerce.number().int().min(1_000).default(300_000),
  /**
   * Bearer token for GET /metrics (Prometheus text). Unset: /metrics answers only clients connecting straight from
   * loopback (a scraper on this host; a request relayed by a proxy is refused). Set: anyone who presents it.
   */
  METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  /** The built console (apps/console/dist, made by `npm start` or `npm run build -w @paddock/console`), served at /console. */
  CONSOLE_DIR: z.string().default(join(import.meta.dirname, '../../console/dist')),
});

function isAddressOrCidr(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n <= (version === 4 ? 32 : 128);
}

function isKeyring(spec: string): boolean {
  try {
    parseKeyring(spec);
    return true;
  } catch {
    // The reason may quote part of the value: a key must never reach a log line, so only the message above is shown.
    return false;
  }
}

export type ApiConfig = z.output<typeof ApiConfigSchema>;

/** Every variable the API reads (infra/control-plane/paddock.env.example lists each one). */
export const API_CONFIG_KEYS = Object.keys(ApiConfigSchema.shape);

export function loadApiConfig(env: Record<string, string | undefined>): ApiConfig {
  return parseConfig('api', ApiConfigSchema, env);
}
