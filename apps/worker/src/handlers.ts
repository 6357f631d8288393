import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import type { JobHandlers, Queues } from '@paddock/jobs';
import type { BoxLayout, SshPool } from '@paddock/fleet';
import {
  advanceRollout,
  type BootstrapHostDeps,
  bootstrapHost,
  rebootstrapBox,
  rollbackBoxRelease,
  catchUpOfflineBoxes,
  advanceWorkflow,
  type BoxSyncDeps,
  publishRuntimeRelease,
  closeMonth,
  deliverWebhook,
  endDueTrials,
  evaluateMonitoringRound,
  sendDigests,
  type WebhookTargetPolicy,
  pushTenantSecrets,
  type RolloutDeps,
  type RuntimeReleaseSource,
  runProbe,
  stageChainVersion,
  startProvisioning,
  syncChainVersion,
  type WorkflowRegistry,
} from '@paddock/services';
import type { Vault } from '@paddock/vault';
import type { Pool } from 'pg';

/** The clients handlers pass to their services. */
export interface HandlerDeps {
  prisma: PrismaClient;
  queues: Queues;
  workflows: WorkflowRegistry;
  /** Box access for the box-sync jobs (chain sync and staging, secrets push): the worker's vault and SSH pool. */
  boxes: { vault: Vault; ssh: SshPool; layout?: BoxLayout; stagingPollMs?: number };
  /** Fleet rollouts: the database (and a pg pool for the rollout's advisory lock), releases and box access. */
  rollouts: RolloutDeps;
  /** Bring-your-own hosts: bootstrapped with the worker's SSH pool, recorder and Node choice. */
  hosts: BootstrapHostDeps;
  /** Where releases are built from, with the Node they carry (`system`, or a bundled LTS fetched once). */
  releaseSource: (node?: 'system' | 'bundled') => Promise<RuntimeReleaseSource>;
  /** Plain pg for bulk writes (the monthly close's pages go in with COPY). */
  pg: Pool;
  /** Webhook delivery: the vault opens each endpoint's secret; the policy says which addresses may be reached. */
  webhooks: { vault: Vault; policy: WebhookTargetPolicy };
}

/**
 * Every catalog job mapped to one service call; the type makes a missing handler a compile error.
 * Jobs that need the database fail with a clear error when the process did not pass its clients in.
 */
export function createHandlers(deps: Partial<HandlerDeps> = {}): JobHandlers {
  const prisma = (): PrismaClient => {
    if (!deps.prisma) {
      throw new AppError(
        'internal',
        'this worker was started without a database client: pass { prisma } to createHandlers',
      );
    }
    return deps.prisma;
  };
  const workflowDeps = () => {
    if (!deps.prisma || !deps.queues || !deps.workflows) {
      throw new AppError(
        'internal',
        'this worker was started without { prisma, queues, workflows }: workflows cannot run',
      );
    }
    return { prisma: deps.prisma, queues: deps.queues, workflows: deps.workflows };
  };
  const boxSyncDeps = (): BoxSyncDeps => {
    if (!deps.prisma || !deps.queues || !deps.boxes) {
      throw new AppError(
        'internal',
        'this worker was started without { prisma, queues, boxes: { vault, ssh } }: it cannot reach boxes',
      );
    }
    return { prisma: deps.prisma, queues: deps.queues, ...deps.boxes };
  };
  return {
    'diagnostics.probe': (payload, context) => runProbe(payload, context),
    'tenant.provision': async (payload, context) => {
      const client = prisma();
      if (!deps.queues)
        throw new AppError('internal', 'this worker was started without { queues }: provisioning cannot start');
      return startProvisioning({ prisma: client, queues: deps.queues }, payload, context);
    },
    'workflow.advance': (payload, context) => advanceWorkflow(workflowDeps(), payload, context),
    'chain.sync': (payload, context) => syncChainVersion(boxSyncDeps(), payload, context),
    'chain.stage': (payload, context) => stageChainVersion(boxSyncDeps(), payload, context),
    'secrets.push': (payload, context) => pushTenantSecrets(boxSyncDeps(), payload, context),
    'release.publish': async (payload) => {
      if (!deps.releaseSource) throw new AppError('internal', 'this worker was started without { releaseSource }');
      const { release, created } = await publishRuntimeRelease(
        { prisma: prisma() },
        await deps.releaseSource(payload.node),
        {
          ...(payload.notes ? { notes: payload.notes } : {}),
          promote: payload.promote,
        },
      );
      return { version: release.version, created, nodeVersion: release.nodeVersion };
    },
    'rollout.advance': (payload, context) => {
      if (!deps.rollouts) {
        throw new AppError('internal', 'this worker was started without { rollouts }: rollouts cannot advance');
      }
      return advanceRollout(deps.rollouts, payload, context);
    },
    'host.bootstrap': (payload, context) => {
      if (!deps.hosts)
        throw new AppError('internal', 'this worker was started without { hosts }: hosts cannot bootstrap');
      return bootstrapHost(deps.hosts, payload, context);
    },
    // The operator's box actions run with the same clients as a host's bootstrap (database, vault, SSH pool, recorder).
    'box.rollback': (payload) => {
      if (!deps.hosts)
        throw new AppError('internal', 'this worker was started without { hosts }: boxes cannot roll back');
      return rollbackBoxRelease(deps.hosts, payload);
    },
    'box.rebootstrap': (payload) => {
      if (!deps.hosts)
        throw new AppError('internal', 'this worker was started without { hosts }: boxes cannot bootstrap');
      return rebootstrapBox(deps.hosts, payload);
    },
    'fleet.catch-up': (_payload, context) => {
      if (!deps.rollouts) {
        throw new AppError('internal', 'this worker was started without { rollouts }: offline boxes cannot catch up');
      }
      return catchUpOfflineBoxes(deps.rollouts, {}, context);
    },
    'invoices.close-month': (payload, context) => {
      if (!deps.pg) throw new AppError('internal', 'this worker was started without { pg }: it cannot close a month');
      return closeMonth({ prisma: prisma(), pool: deps.pg }, { period: payload.period, signal: context.signal });
    },
    'monitoring.evaluate': () => evaluateMonitoringRound({ prisma: prisma(), queues: deps.queues }),
    'webhooks.deliver': (payload, context) => {
      if (!deps.webhooks) throw new AppError('internal', 'this worker was started without { webhooks }');
      return deliverWebhook({ prisma: prisma(), ...deps.webhooks }, payload, context);
    },
    'webhooks.digest': () => {
      if (!deps.queues)
        throw new AppError('internal', 'this worker was started without { queues }: digests cannot be sent');
      return sendDigests({ prisma: prisma(), queues: deps.queues });
    },
    'subscriptions.end-trials': () => {
      if (!deps.queues) throw new AppError('internal', 'this worker was started without { queues }: trials cannot end');
      return endDueTrials({ prisma: prisma(), queues: deps.queues });
    },
  };
}
