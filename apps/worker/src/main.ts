import { createPrismaClient } from '@paddock/db';
import { closeQueues, createQueues, startWorkers } from '@paddock/jobs';
import { createPrismaJobRecords } from '@paddock/jobs/prisma-job-records';
import { createLogger, exitOnConfigError, Shutdown } from '@paddock/platform';
import { Redis } from 'ioredis';
import { loadWorkerConfig } from './config';
import { createHandlers } from './handlers';

// The worker process: takes jobs from every queue, runs them through their service, reports into Postgres.
// Start as many as you like against the same Redis and Postgres; BullMQ hands each job to one of them and hands a
// dead worker's jobs to another once their lock expires.
let config: ReturnType<typeof loadWorkerConfig>;
try {
  config = loadWorkerConfig(process.env);
} catch (error) {
  exitOnConfigError(error);
}

const logger = createLogger('worker', config.LOG_LEVEL).child({ workerId: config.WORKER_ID });
const shutdown = new Shutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
shutdown.onSignals();

const prisma = createPrismaClient(config.DATABASE_URL);
shutdown.register('postgres', () => prisma.$disconnect());
// BullMQ workers block on Redis: they need maxRetriesPerRequest null so a slow Redis never fails a job fetch.
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
shutdown.register('redis', () => redis.quit());
// Jobs enqueue follow-up jobs (a workflow's next step) through these.
const queues = createQueues(redis, config.QUEUE_PREFIX);
shutdown.register('queues', () => closeQueues(queues));

const workers = startWorkers({
  connection: redis,
  prefix: config.QUEUE_PREFIX,
  workerId: config.WORKER_ID,
  records: createPrismaJobRecords(prisma),
  handlers: createHandlers({ prisma, queues, workflows: {} }),
  logger,
  concurrency: {
    control: config.WORKER_CONCURRENCY,
    provisioning: config.WORKER_CONCURRENCY,
    fleet: config.WORKER_CONCURRENCY,
    collect: config.WORKER_CONCURRENCY,
  },
  lockDurationMs: config.LOCK_DURATION_MS,
  stalledIntervalMs: config.STALLED_INTERVAL_MS,
});
// Registered last, closed first: stop taking jobs and let running ones finish before the connections go.
shutdown.register('workers', () => Promise.all(workers.map((worker) => worker.close())));
for (const worker of workers) {
  worker.on('error', (error) => logger.error({ err: error, queue: worker.name }, 'worker error'));
}
await Promise.all(workers.map((worker) => worker.waitUntilReady()));
logger.info({ queues: workers.map((w) => w.name) }, 'worker ready');
