import type { PrismaClient } from '@paddock/db';
import type { BoxLayout, SshPool } from '@paddock/fleet';
import type { Queues } from '@paddock/jobs';
import type { Vault } from '@paddock/vault';

/** What the box-sync jobs (chain sync, staging, secrets push) run with: built once by the worker. */
export interface BoxSyncDeps {
  prisma: PrismaClient;
  vault: Vault;
  ssh: SshPool;
  /** Follow-up jobs (a synced version's staging) are enqueued through these. */
  queues: Queues;
  /** Where Paddock lives on boxes; the default layout unless a test or install says otherwise. */
  layout?: BoxLayout;
  /** How often a staging run's status is asked while it runs. Default 500 ms. */
  stagingPollMs?: number;
}
