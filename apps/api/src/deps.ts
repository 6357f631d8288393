import type { PrismaClient } from '@paddock/db';
import type { SshPool } from '@paddock/fleet';
import type { Queues } from '@paddock/jobs';
import type { BoxGateway, ChangeFeed, WebhookTargetPolicy } from '@paddock/services';
import type { Vault } from '@paddock/vault';
import type { Redis } from 'ioredis';
import type { FrontDoorSettings } from './http/front-door';
import type { PasswordWorkGate } from './http/password-work';
import type { RateLimitRule } from './http/rate-limit';
import type { TenantSessionSettings } from './http/tenant-auth';
import type { TerminalSettings } from './http/terminal-settings';

/** The clients routes hand to services. Built once in main.ts (or a test) and passed in, never imported. */
export interface ApiDeps {
  prisma: PrismaClient;
  queues: Queues;
  /** Rate-limit counters; keys start with `redisPrefix` so deployments (and test files) sharing a Redis stay apart. */
  redis: Redis;
  redisPrefix: string;
  vault: Vault;
  signupRateLimit: RateLimitRule;
  /** Tenant users' session lifetime and login limits (the API's config; DEFAULT_TENANT_SESSION_SETTINGS if absent). */
  tenantSessions?: TenantSessionSettings;
  /** Operator login and tenant write limits, and the password-work cap (DEFAULT_FRONT_DOOR_SETTINGS if absent). */
  frontDoor?: FrontDoorSettings;
  /** The one cap on concurrent scrypt work in this process (made from `frontDoor` by registerRoutes if absent). */
  passwordWork?: PasswordWorkGate;
  /** The control plane's SSH connections to boxes (one per box, shared). */
  ssh: SshPool;
  /** Asks tenants' boxes and makes them act (runs, decisions) over their serve channels. */
  boxes: BoxGateway;
  /** Wakes streams (decisions, run events) when the collector commits something they show. */
  changes: ChangeFeed;
  /** Terminal streams per workspace and each stream's bounds (DEFAULT_TERMINAL_SETTINGS where absent). */
  terminals?: Partial<TerminalSettings>;
  /** Which webhook URLs may be saved (https to public addresses; loopback only in tests). Default: production's. */
  webhookPolicy?: WebhookTargetPolicy;
}
