import type { PrismaClient } from '@paddock/db';
import type { SshPool } from '@paddock/fleet';
import type { Queues } from '@paddock/jobs';
import type { Vault } from '@paddock/vault';
import type { Pool } from 'pg';

/**
 * Every client a service may be given. A service function's first argument is an object of the clients it uses,
 * typed as a Pick of this (`fn({ prisma }, input)`, `fn({ pg, vault }, boxId)`), or a narrower shape for a client
 * used inside a caller's transaction (`{ prisma: Tx }`). Workflow dependencies (`ProvisioningDeps`, `RolloutDeps`)
 * are such objects with settings beside the clients. See ARCHITECTURE.md, "Services take their clients one way".
 */
export interface ServiceClients {
  prisma: PrismaClient;
  /** A pg pool: raw SQL (COPY, advisory locks held for a job's life, LISTEN). */
  pg: Pool;
  vault: Vault;
  queues: Queues;
  ssh: SshPool;
}
