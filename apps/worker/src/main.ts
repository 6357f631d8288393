import { createPrismaClient } from '@paddock/db';
import { closeQueues, createQueues, registerSchedules, startWorkers, createPrismaJobRecords } from '@paddock/jobs';
import {
  createJobMetrics,
  createMetricsRegistry,
  createSshMetrics,
  registerFleetGauges,
  startMetricsServer,
} from '@paddock/metrics';
import { createLogger, exitOnConfigError, Shutdown } from '@paddock/platform';
import { createTenantWorkflows, recoverLocalBoxes, startCollector } from '@paddock/services';
import { createVault } from '@paddock/vault';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadWorkerConfig } from './config';
import { createHandlers } from './handlers';
import { createProvisioningDeps, publishReleaseIfNone, releaseSource } from './provisioning';

// The worker process: takes jobs from every queue, runs them through their service, reports into Postgres.
// Start as many as you like against the same Redis and Postgres; BullMQ hands each job to one of them and hands a
// dead worker's jobs to another once their lock expires (seconds: see LOCK_DURATION_MS in config.ts).
let config: ReturnType<typeof loadWorkerConfig>;
try {
  config = loadWorkerConfig(process.env);
} catch (error) {
  exitOnConfigError(error);
}

const logger = createLogger('worker', config.LOG_LEVEL).child({ workerId: config.WORKER_ID });
const shutdown = new Shutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
shutdown.onSignals();
if (config.PADDOCK_ALLOW_LOCAL_BOXES) {
  logger.warn('local test boxes enabled: boxes share this machine, for development only');
}

const prisma = createPrismaClient(config.DATABASE_URL, { applicationName: 'paddock-worker' });
shutdown.register('postgres', () => prisma.$disconnect());
// Box targets (address, decrypted key, pinned host key) are read through plain pg, shared with collectors.
const pgPool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 8, application_name: 'paddock-worker' });
pgPool.on('error', (error) => logger.warn({ err: error }, 'idle postgres connection failed'));
shutdown.register('pg', () => pgPool.end());
// BullMQ workers block on Redis: they need maxRetriesPerRequest null so a slow Redis never fails a job fetch.
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
shutdown.register('redis', () => redis.quit());
// Jobs enqueue follow-up jobs (a workflow's next step) through these.
const queues = createQueues(redis, config.QUEUE_PREFIX);
shutdown.register('queues', () => closeQueues(queues));

const vault = createVault(config.PADDOCK_MASTER_KEY);
const metrics = createMetricsRegistry('worker');
registerFleetGauges(metrics, { prisma, queues });
const provisioning = createProvisioningDeps(config, { prisma, queues, pg: pgPool, vault }, createSshMetrics(metrics));
shutdown.register('ssh', () => provisioning.ssh.close(5_000));
await publishReleaseIfNone(config, prisma, logger);
if (provisioning.providers.local) {
  // Local test boxes do not outlive this machine: bring back those the database lists, or mark them lost.
  const recovered = await recoverLocalBoxes({
    prisma,
    pg: pgPool,
    vault,
    ssh: provisioning.ssh,
    provider: provisioning.providers.local,
    log: logger,
  });
  if (recovered.revived.length + recovered.lost.length > 0) logger.warn(recovered, 'local test boxes recovered');
}

const workers = startWorkers({
  connection: redis,
  prefix: config.QUEUE_PREFIX,
  workerId: config.WORKER_ID,
  records: createPrismaJobRecords(prisma),
  handlers: createHandlers({
    prisma,
    queues,
    workflows: createTenantWorkflows(provisioning),
    boxes: { vault, ssh: provisioning.ssh },
    rollouts: {
      prisma,
      pg: pgPool,
      queues,
      vault,
      ssh: provisioning.ssh,
      releaseDir: config.RELEASE_DIR,
      ...(provisioning.recorder ? { recorder: provisioning.recorder } : {}),
    },
    hosts: provisioning,
    releaseSource: (node) => releaseSource(config, node),
    webhooks: { vault, policy: { allowLoopback: config.WEBHOOKS_ALLOW_LOOPBACK } },
    pg: pgPool,
  }),
  logger,
  concurrency: {
    control: config.WORKER_CONCURRENCY,
    provisioning: config.WORKER_CONCURRENCY,
    fleet: config.WORKER_CONCURRENCY,
    collect: config.WORKER_CONCURRENCY,
  },
  lockDurationMs: config.LOCK_DURATION_MS,
  lockRenewMs: config.LOCK_RENEW_MS,
  stalledIntervalMs: config.STALLED_INTERVAL_MS,
  observer: createJobMetrics(metrics),
});
// Registered last, closed first: stop taking jobs and let running ones finish before the connections go.
shutdown.register('workers', () => Promise.all(workers.map((worker) => worker.close())));
for (const worker of workers) {
  worker.on('error', (error) => logger.error({ err: error, queue: worker.name }, 'worker error'));
}
await Promise.all(workers.map((worker) => worker.waitUntilReady()));
// Every worker upserts the same schedulers by id: one schedule however many workers run.
if (config.SCHEDULES) await registerSchedules(queues);
if (config.COLLECTOR) {
  // After the workers, so stopping it (registered later, so stopped first) releases its boxes before jobs stop.
  const collector = await startCollector({
    pool: pgPool,
    vault,
    ssh: provisioning.ssh,
    ownerId: config.WORKER_ID,
    log: logger.child({ component: 'collector' }),
    timings: { leaseMs: config.COLLECTOR_LEASE_MS, lostRunsMs: config.RUNS_LOST_AFTER_MS },
  });
  shutdown.register('collector', () => collector.stop());
}
if (config.METRICS_PORT !== undefined) {
  const server = await startMetricsServer({
    registry: metrics,
    host: config.METRICS_HOST,
    port: config.METRICS_PORT,
    token: config.METRICS_TOKEN,
  });
  shutdown.register('metrics', () => server.close());
  logger.info({ url: server.url, token: config.METRICS_TOKEN !== undefined }, 'metrics listening');
}
logger.info({ queues: workers.map((w) => w.name), providers: Object.keys(provisioning.providers) }, 'worker ready');
