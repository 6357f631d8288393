import { randomBytes } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@paddock/db';
import { closeQueues, createQueues, enqueueJob, type Queues, createPrismaJobRecords } from '@paddock/jobs';
import { createTestDatabase, readTestEnv, type TestDatabase } from '@paddock/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { find, parseSamples } from '../support/prometheus-text';
import { type AppProcess, spawnApp } from '../support/spawn-app';
import { waitFor } from '../support/wait-for';
import { type PrivateServices, startPrivateServices } from './support/private-services';

const LONG = readTestEnv().PADDOCK_TEST_PROFILE === 'long';
const IMMEDIATE = LONG ? 60 : 16;
const DELAYED = LONG ? 30 : 8;
const KILLS = LONG ? 3 : 1;

// Redis (this test's own, append-only file with fsync on every write, as production is told to run it) is killed
// with SIGKILL and started again while jobs wait in the queue, run, and wait for their delay. Every job runs exactly
// once: each record ends `succeeded` after one attempt, and the workers' own counters (Prometheus, per process)
// count exactly one finished attempt per job.
describe('Redis killed and restarted with queued and delayed jobs', () => {
  let services: PrivateServices;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let redis: Redis;
  let queues: Queues;
  const workers: AppProcess[] = [];
  const metricsUrls: string[] = [];

  beforeAll(async () => {
    services = await startPrivateServices({ redis: true });
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url);
    redis = new Redis(services.redisUrl, { maxRetriesPerRequest: null });
    redis.on('error', () => undefined); // reconnects on its own once Redis is back
    queues = createQueues(redis, 'faults');
    for (const id of ['redis-worker-a', 'redis-worker-b']) {
      const worker = spawnApp('apps/worker/src/main.ts', {
        DATABASE_URL: db.url,
        REDIS_URL: services.redisUrl,
        QUEUE_PREFIX: 'faults',
        WORKER_ID: id,
        WORKER_CONCURRENCY: '2',
        LOG_LEVEL: 'info',
        PADDOCK_MASTER_KEY: randomBytes(32).toString('base64'),
        RELEASE_AUTO_PUBLISH: 'false',
        COLLECTOR: 'false',
        SCHEDULES: 'false',
        METRICS_PORT: '0',
      });
      workers.push(worker);
    }
    for (const worker of workers) {
      await worker.waitForLog('worker ready', 60_000);
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+[^"]*)"/.exec(worker.output())?.[1];
      if (!url) throw new Error(`no metrics url in:\n${worker.output()}`);
      metricsUrls.push(url.endsWith('/metrics') ? url : `${url}/metrics`);
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await closeQueues(queues);
    redis?.disconnect();
    await prisma?.$disconnect();
    await db?.drop();
    await services?.close();
  });

  async function attemptsCounted(): Promise<number> {
    let total = 0;
    for (const url of metricsUrls) {
      const samples = parseSamples(await (await fetch(url)).text());
      for (const sample of find(samples, 'paddock_job_duration_seconds_count', { name: 'diagnostics.probe' })) {
        total += sample.value;
      }
    }
    return total;
  }

  it('runs every queued and delayed job once', async () => {
    const deps = { queues, records: createPrismaJobRecords(prisma) };
    const ids: string[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      // More than the workers run at once (2 x 2): most wait in the queue; the delayed ones wait past the restart.
      for (let i = 0; i < IMMEDIATE / KILLS; i++) {
        ids.push(
          (await enqueueJob(deps, 'diagnostics.probe', { label: `now-${kill}-${i}`, durationMs: 400 })).recordId,
        );
      }
      for (let i = 0; i < DELAYED / KILLS; i++) {
        const job = await enqueueJob(
          deps,
          'diagnostics.probe',
          { label: `later-${kill}-${i}`, durationMs: 100 },
          { delayMs: 3_000 + i * 200 },
        );
        ids.push(job.recordId);
      }
      await waitFor(
        'a probe to be running',
        async () => (await prisma.jobRecord.count({ where: { id: { in: ids }, status: 'running' } })) > 0,
      );
      await services.killRedis();
      await services.startRedis();
    }

    const records = await waitFor(
      'every probe to succeed',
      async () => {
        const rows = await prisma.jobRecord.findMany({ where: { id: { in: ids } } });
        return rows.every((row) => row.status === 'succeeded') ? rows : undefined;
      },
      120_000,
    );
    expect(records).toHaveLength(IMMEDIATE + DELAYED);
    expect(records.filter((row) => row.attempts !== 1).map((row) => [row.jobId, row.attempts])).toEqual([]);
    expect(await attemptsCounted()).toBe(IMMEDIATE + DELAYED);
  }, 300_000);
});
