import { randomUUID } from 'node:crypto';
import { createPrismaClient, type PrismaClient, seedPlans } from '@paddock/db';
import {
  closeQueues,
  createQueues,
  type JobHandlers,
  jobCatalog,
  type Queues,
  startWorkers,
  createPrismaJobRecords,
} from '@paddock/jobs';
import { connectTestRedis, createTestDatabase, type TestDatabase, uniqueQueuePrefix } from '@paddock/testkit';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceWorkflow } from './advance-workflow';
import { defineWorkflow, type WorkflowRegistry } from './define-workflow';
import { retryWorkflow } from './retry-workflow';
import { startWorkflow } from './start-workflow';

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Real Postgres, real Redis, real BullMQ workers: the workflow engine as the worker process runs it.
describe('workflow engine', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let redis: Redis;
  let queues: Queues;
  let workers: Worker[];
  const calls: string[] = [];
  const behaviour = { flakyFailures: 2, brokenFixed: false };

  const registry: WorkflowRegistry = {
    provision: defineWorkflow({
      kind: 'provision',
      steps: [
        {
          name: 'first',
          run: async () => {
            calls.push('first');
            return { value: 41 };
          },
        },
        {
          name: 'flaky',
          run: async ({ attempt, outputs }) => {
            calls.push(`flaky#${attempt}`);
            if (attempt <= behaviour.flakyFailures) throw new Error(`transient failure ${attempt}`);
            return { sum: ((outputs.first as { value: number }).value ?? 0) + 1 };
          },
        },
        {
          name: 'maybe_broken',
          run: async () => {
            calls.push('maybe_broken');
            if (!behaviour.brokenFixed) throw new Error('provider said no');
            return null;
          },
        },
      ],
      onSucceeded: async (tx, wf) => {
        await tx.tenant.update({ where: { id: wf.tenantId }, data: { status: 'active', activatedAt: new Date() } });
      },
      onFailed: async (tx, wf, reason) => {
        await tx.tenant.update({
          where: { id: wf.tenantId },
          data: { status: 'provisioning_failed', statusReason: reason },
        });
      },
    }),
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, { poolMax: 4 });
    redis = connectTestRedis();
    const prefix = uniqueQueuePrefix();
    queues = createQueues(redis, prefix);
    workers = startWorkers({
      connection: redis,
      prefix,
      workerId: 'test-worker',
      records: createPrismaJobRecords(prisma),
      handlers: {
        // Only workflow jobs are enqueued here; every other catalog job gets a handler that does nothing.
        ...(Object.fromEntries(
          Object.keys(jobCatalog).map((name) => [name, async () => null]),
        ) as unknown as JobHandlers),
        'workflow.advance': (payload, context) =>
          advanceWorkflow({ prisma, queues, workflows: registry }, payload, context),
      },
      logger: pino({ level: 'silent' }),
      concurrency: {},
      lockDurationMs: 10_000,
      stalledIntervalMs: 5_000,
    });
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await closeQueues(queues);
    redis.disconnect();
    await prisma.$disconnect();
    await db.drop();
  });

  async function newTenant() {
    const [plan] = await seedPlans(prisma);
    if (!plan) throw new Error('no plan seeded');
    return prisma.tenant.create({ data: { slug: `t-${randomUUID().slice(0, 8)}`, name: 'Test', planId: plan.id } });
  }

  it('parks a workflow whose step fails its last attempt, then an operator retry resumes it from that step', async () => {
    const tenant = await newTenant();
    const operator = await prisma.user.create({
      data: { email: 'ops@example.com', role: 'operator', operatorRole: 'owner' },
    });
    const { workflowId } = await startWorkflow(
      { prisma, queues },
      { kind: 'provision', key: `provision:${tenant.id}`, tenantId: tenant.id },
    );
    // Starting again with the same key is the same workflow, not a second one.
    expect(
      (
        await startWorkflow(
          { prisma, queues },
          { kind: 'provision', key: `provision:${tenant.id}`, tenantId: tenant.id },
        )
      ).workflowId,
    ).toBe(workflowId);

    const failed = await waitFor(
      async () => {
        const wf = await prisma.workflow.findUniqueOrThrow({ where: { id: workflowId } });
        return wf.status === 'failed' ? wf : undefined;
      },
      'the workflow to be parked',
      60_000,
    );
    expect(failed.currentStep).toBe('maybe_broken');
    expect(failed.error).toBe('maybe_broken: provider said no');
    const parked = await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } });
    expect(parked).toMatchObject({ status: 'provisioning_failed', statusReason: 'maybe_broken: provider said no' });

    // One job record per step, with the flaky step's retries counted on its record.
    const records = await prisma.jobRecord.findMany({ where: { tenantId: tenant.id }, orderBy: { createdAt: 'asc' } });
    expect(records.map((r) => [r.status, r.attempts])).toEqual([
      ['succeeded', 1],
      ['succeeded', 3],
      ['failed', 6],
    ]);
    expect(calls.filter((c) => c.startsWith('flaky'))).toEqual(['flaky#1', 'flaky#2', 'flaky#3']);

    behaviour.brokenFixed = true;
    const callsBefore = calls.length;
    const retried = await retryWorkflow({ prisma, queues }, workflowId, { userId: operator.id, email: operator.email });
    expect(retried.round).toBe(1);
    const done = await waitFor(async () => {
      const wf = await prisma.workflow.findUniqueOrThrow({ where: { id: workflowId } });
      return wf.status === 'succeeded' ? wf : undefined;
    }, 'the retried workflow to succeed');
    // Steps that had succeeded were not run again.
    expect(calls.slice(callsBefore)).toEqual(['maybe_broken']);
    expect((done.state as { steps: Record<string, { output: unknown }> }).steps.flaky?.output).toEqual({ sum: 42 });
    expect(await prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).toMatchObject({ status: 'active' });
    const audit = await prisma.auditLog.findFirstOrThrow({ where: { action: 'workflow.retry', targetId: workflowId } });
    expect(audit.actorLabel).toBe('ops@example.com');
    await expect(
      retryWorkflow({ prisma, queues }, workflowId, { userId: operator.id, email: operator.email }),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
  }, 90_000);
});
