import type { PrismaClient } from '@paddock/db';
import type { BoxLayout, FleetRecorder, SshPool } from '@paddock/fleet';
import type { Queues } from '@paddock/jobs';
import type { BoxProvider, BoxSpec, HetznerPlacement } from '@paddock/providers';
import type { Vault } from '@paddock/vault';
import type { Pool } from 'pg';

/** Where boxes come from, by the plan's `provider`. A plan whose provider is not configured parks its signups. */
export interface ProviderRegistry {
  local?: BoxProvider;
  hetzner?: BoxProvider<BoxSpec & { placement?: Partial<HetznerPlacement> }>;
}

/** The clients the tenant workflows (provision, suspend, resume, delete) run with: built once by the worker. */
export interface ProvisioningDeps {
  prisma: PrismaClient;
  /** For the jobs provisioning hands on (the workspace's chains and secrets synced to its new box). */
  queues: Queues;
  /** Raw pg pool: box targets are loaded with it (`loadBoxTarget`), as collectors and the API do. */
  pg: Pool;
  vault: Vault;
  ssh: SshPool;
  providers: ProviderRegistry;
  /** The control plane's release directory (see releases/). */
  releaseDir: string;
  /** Boxes run the release with their system Node (releases built with `node: { kind: 'system' }`). */
  systemNode: boolean;
  layout?: BoxLayout;
  /** Records fleet events (deploy rows, host-key alerts); defaults to the provisioning recorder. */
  recorder?: FleetRecorder;
  /** Longest wait for a new box to answer SSH before the step fails (and is retried). Default 5 minutes. */
  reachableTimeoutMs?: number;
}
