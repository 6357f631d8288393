import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrismaClient, type PrismaClient, seedPlans } from '@paddock/db';
import { closeQueues, createQueues, type Queues } from '@paddock/jobs';
import { DetachedLocalProvider } from '@paddock/providers';
import { publishRuntimeRelease, signupTenant } from '@paddock/services';
import {
  connectTestRedis,
  createTestDatabase,
  readTestEnv,
  type TestDatabase,
  uniqueQueuePrefix,
} from '@paddock/testkit';
import { createVault, type Vault } from '@paddock/vault';
import type { Redis } from 'ioredis';
import { type AppProcess, spawnApp } from '../../support/spawn-app';
import { waitFor } from '../../support/wait-for';

const REPO = join(import.meta.dirname, '../../..');
// Content-addressed, so every test file may share it: the same code is one release directory.
export const RELEASE_DIR = join(tmpdir(), 'paddock-lifecycle-releases');

export interface LifecycleEnv {
  prisma: PrismaClient;
  queues: Queues;
  /** The Redis the queues use, and their prefix (API routes keep their rate-limit counters under it). */
  redis: Redis;
  redisPrefix: string;
  vault: Vault;
  /** The local provider the workers use, seen from the test: lists and destroys the same boxes. */
  boxes: DetachedLocalProvider;
  /** Signs a workspace up through the signup service (what `POST /v1/signup` runs). */
  signUp(label: string): Promise<{ tenantId: string; workflowId: string; apiKey: string; startedAt: number }>;
  /**
   * A worker process. Tests get short job locks (a killed worker's step is taken over within seconds);
   * `productionTimings` keeps the worker's own defaults instead (the takeover benchmark measures those).
   */
  startWorker(id: string, env?: Record<string, string>, options?: { productionTimings?: boolean }): Promise<AppProcess>;
  /** The API as its own process on this environment's database, queues and master key; answers its base URL. */
  startApi(env?: Record<string, string>): Promise<{ process: AppProcess; url: string }>;
  databaseUrl: string;
  waitForTenant(tenantId: string, status: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A control plane for lifecycle tests: a fresh database with the default plans (provider `local`), its own queue
 * prefix and master key, a published runtime release, and real worker processes that make detached local boxes.
 */
export async function startLifecycleEnv(options: { database?: TestDatabase } = {}): Promise<LifecycleEnv> {
  const db: TestDatabase = options.database ?? (await createTestDatabase());
  const prisma = createPrismaClient(db.url, { poolMax: 8 });
  await seedPlans(prisma, { provider: 'local' });
  const redis: Redis = connectTestRedis();
  const prefix = uniqueQueuePrefix();
  const queues = createQueues(redis, prefix);
  const masterKey = randomBytes(32).toString('base64');
  const vault = createVault(masterKey);
  const boxDir = `/dev/shm/paddock-lifecycle-${process.pid}-${randomBytes(3).toString('hex')}`;
  const boxes = new DetachedLocalProvider({ stateDir: boxDir, guardPid: process.pid });
  await publishRuntimeRelease(
    { prisma },
    {
      releaseDir: RELEASE_DIR,
      runtimeDir: join(REPO, 'packages/runtime'),
      node: { kind: 'system' },
    },
  );
  const workers: AppProcess[] = [];
  let counter = 0;

  const shared = () => ({
    DATABASE_URL: db.url,
    REDIS_URL: readTestEnv().REDIS_URL,
    QUEUE_PREFIX: prefix,
    PADDOCK_MASTER_KEY: masterKey,
  });

  return {
    prisma,
    queues,
    redis,
    redisPrefix: prefix,
    vault,
    boxes,
    databaseUrl: db.url,
    async signUp(label) {
      counter += 1;
      const unique = `${label}-${counter}-${randomUUID().slice(0, 6)}`;
      const startedAt = Date.now();
      const { reply } = await signupTenant(
        { prisma, queues, vault },
        {
          email: `${unique}@example.com`,
          workspaceName: `Workspace ${unique}`,
          plan: 'starter',
          idempotencyKey: randomUUID(),
        },
      );
      return { tenantId: reply.tenant.id, workflowId: reply.workflowId, apiKey: reply.apiKey.key, startedAt };
    },
    async startWorker(id, env = {}, options = {}) {
      // Short locks: a killed worker's step is taken over within seconds, not after the production lock.
      const timings: Record<string, string> = options.productionTimings
        ? {}
        : { LOCK_DURATION_MS: '5000', STALLED_INTERVAL_MS: '2000' };
      const worker = spawnApp('apps/worker/src/main.ts', {
        ...shared(),
        WORKER_ID: id,
        RELEASE_DIR,
        // Tenants' boxes are local test boxes here: the worker must be told it may make them.
        PADDOCK_ALLOW_LOCAL_BOXES: 'true',
        LOCAL_BOX_DIR: boxDir,
        LOCAL_BOX_GUARD_PID: String(process.pid),
        ...timings,
        LOG_LEVEL: 'info',
        // No repeating jobs (monthly close, trial check) firing into a test that counts job records.
        SCHEDULES: 'false',
        ...env,
      });
      workers.push(worker);
      // Two minutes: a worker's start (tsx compiling it) took over 60 s on a machine loaded 40 deep on 2 cores.
      await worker.waitForLog('worker ready', 120_000);
      return worker;
    },
    async startApi(env = {}) {
      const api = spawnApp('apps/api/src/main.ts', { ...shared(), PORT: '0', LOG_LEVEL: 'info', ...env });
      workers.push(api);
      await api.waitForLog('Server listening', 60_000);
      const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(api.output())?.[1];
      if (!url) throw new Error(`the API did not say where it listens:\n${api.output()}`);
      return { process: api, url };
    },
    async waitForTenant(tenantId, status, timeoutMs = 120_000) {
      await waitFor(
        `tenant ${tenantId} to be ${status}`,
        async () => {
          const tenant = await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } });
          return tenant.status === status;
        },
        timeoutMs,
      );
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop('SIGKILL')));
      for (const box of await boxes.list()) await boxes.destroy(box.providerId);
      rmSync(boxDir, { recursive: true, force: true });
      await closeQueues(queues);
      redis.disconnect();
      await prisma.$disconnect();
      await db.drop();
    },
  };
}
