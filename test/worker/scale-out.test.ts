import { randomBytes } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@paddock/db';
import { closeQueues, createQueues, enqueueJob, type Queues, createPrismaJobRecords } from '@paddock/jobs';
import {
  connectTestRedis,
  createTestDatabase,
  readTestEnv,
  type TestDatabase,
  uniqueQueuePrefix,
} from '@paddock/testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, spawnApp } from '../support/spawn-app';
import { waitFor } from '@paddock/testkit/vitest';

// Two worker processes against one Redis and one Postgres: the control plane scales out this way.
describe('two workers on one queue', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let redis: Redis;
  let queues: Queues;
  const prefix = uniqueQueuePrefix();
  const workers: Record<string, AppProcess> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url);
    redis = connectTestRedis();
    queues = createQueues(redis, prefix);
    for (const id of ['worker-a', 'worker-b']) {
      workers[id] = spawnApp('apps/worker/src/main.ts', {
        DATABASE_URL: db.url,
        REDIS_URL: readTestEnv().REDIS_URL,
        QUEUE_PREFIX: prefix,
        WORKER_ID: id,
        WORKER_CONCURRENCY: '2',
        // Short locks so a killed worker's job is taken over within seconds rather than the default 30 s.
        LOCK_DURATION_MS: '4000',
        STALLED_INTERVAL_MS: '1500',
        LOG_LEVEL: 'info',
        PADDOCK_MASTER_KEY: randomBytes(32).toString('base64'),
        // Probes only: no release to build, no boxes to make.
        RELEASE_AUTO_PUBLISH: 'false',
      });
    }
    await Promise.all(Object.values(workers).map((w) => w.waitForLog('worker ready')));
  });

  afterAll(async () => {
    await Promise.all(Object.values(workers).map((w) => w.stop('SIGKILL')));
    await closeQueues(queues);
    redis.disconnect();
    await prisma.$disconnect();
    await db.drop();
  });

  const deps = () => ({ queues, records: createPrismaJobRecords(prisma) });

  it('splits jobs between the workers and records each once in Postgres', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) {
      ids.push((await enqueueJob(deps(), 'diagnostics.probe', { label: `split-${i}`, durationMs: 250 })).recordId);
    }
    const rows = await waitFor('all probes to succeed', async () => {
      const found = await prisma.jobRecord.findMany({ where: { id: { in: ids } } });
      return found.every((row) => row.status === 'succeeded') ? found : undefined;
    });
    expect(rows).toHaveLength(16);
    expect(new Set(rows.map((row) => row.workerId))).toEqual(new Set(['worker-a', 'worker-b']));
    for (const row of rows) {
      // At least once, not exactly once: on a loaded machine a worker can miss a lock renewal and BullMQ hands the
      // job to the other worker. The record must still end succeeded, reporting the worker that finished it.
      expect(row.attempts).toBeGreaterThanOrEqual(1);
      expect(row.output).toMatchObject({ label: expect.stringMatching(/^split-/), workerId: row.workerId });
    }
  });

  it('finishes a killed worker’s job on the other worker', async () => {
    const { recordId } = await enqueueJob(deps(), 'diagnostics.probe', { label: 'victim', durationMs: 3_000 });
    const running = await waitFor('the long probe to start', async () => {
      const row = await prisma.jobRecord.findUniqueOrThrow({ where: { id: recordId } });
      return row.status === 'running' ? row : undefined;
    });
    const victim = running.workerId ?? '';
    const survivor = victim === 'worker-a' ? 'worker-b' : 'worker-a';
    expect(workers[victim]).toBeDefined();
    await workers[victim]?.stop('SIGKILL');

    const done = await waitFor(
      'the stalled probe to be finished by the surviving worker',
      async () => {
        const row = await prisma.jobRecord.findUniqueOrThrow({ where: { id: recordId } });
        return row.status === 'succeeded' ? row : undefined;
      },
      40_000,
    );
    expect(done.workerId).toBe(survivor);
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(done.output).toMatchObject({ label: 'victim', workerId: survivor });
  });
});
