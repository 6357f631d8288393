import type { PrismaClient } from '@paddock/db';
import type { BoxLayout, DeployBoxOptions, FleetRecorder, SshPool } from '@paddock/fleet';
import type { Queues } from '@paddock/jobs';
import type { Vault } from '@paddock/vault';
import type { Pool } from 'pg';

/** What the rollout job needs: the database, the queue for its next batch, and the way to boxes and releases. */
export interface RolloutDeps {
  prisma: PrismaClient;
  /** Session-level advisory locks need one connection held for the job's life: a pg pool, not Prisma's. */
  pg: Pool;
  queues: Queues;
  vault: Vault;
  ssh: SshPool;
  /** The control plane's release directory (releases are deployed from its files). */
  releaseDir: string;
  layout?: BoxLayout;
  /** Per-box health check of a deploy (tests make it quick). */
  health?: DeployBoxOptions['health'];
  /** Receives fleet events besides the rollout's own deploy records (metrics, logs). */
  recorder?: FleetRecorder;
}

/** Who asked, for the audit log. */
export interface RolloutActor {
  userId: string;
  email: string;
  ip?: string;
  userAgent?: string;
  requestId?: string;
}
