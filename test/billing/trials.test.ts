import { createPrismaClient, type PrismaClient } from '@paddock/db';
import { closeQueues, createQueues, type Queues } from '@paddock/jobs';
import {
  advanceWorkflow,
  closeMonth,
  endDueTrials,
  type ProvisioningDeps,
  suspendWorkflow,
  TRIAL_SUSPEND_KEY_PREFIX,
} from '@paddock/services';
import { connectTestRedis, createTestDatabase, type TestDatabase, uniqueQueuePrefix } from '@paddock/testkit';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenant, seedTestPlans } from './support';

let db: TestDatabase;
let prisma: PrismaClient;
let pool: pg.Pool;
let redis: Redis;
let queues: Queues;
let plans: Awaited<ReturnType<typeof seedTestPlans>>;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, { poolMax: 4 });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  redis = connectTestRedis();
  queues = createQueues(redis, uniqueQueuePrefix());
  plans = await seedTestPlans(prisma);
});

afterAll(async () => {
  await closeQueues(queues);
  redis?.disconnect();
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

const trialEnd = '2025-10-11T00:00:00Z';

describe('trials', () => {
  it('end into their plan or into a suspension, once, however often the check runs', async () => {
    const converting = await seedTenant(prisma, {
      createdAt: '2025-10-01T00:00:00Z',
      spans: [
        {
          planId: plans.team.id,
          from: '2025-10-01T00:00:00Z',
          status: 'trialing',
          trialEndsAt: trialEnd,
          afterTrialPlanId: plans.starter.id,
        },
      ],
    });
    const expiring = await seedTenant(prisma, {
      createdAt: '2025-10-01T00:00:00Z',
      spans: [{ planId: plans.team.id, from: '2025-10-01T00:00:00Z', status: 'trialing', trialEndsAt: trialEnd }],
    });
    // Two checks at once, then a third: each trial is ended exactly once.
    const [first, second] = await Promise.all([endDueTrials({ prisma, queues }), endDueTrials({ prisma, queues })]);
    expect(first.converted + second.converted).toBe(1);
    expect(first.suspended + second.suspended).toBe(1);
    expect(await endDueTrials({ prisma, queues })).toEqual({ converted: 0, suspended: 0, deferred: 0 });

    // Converted: the trial span ends at the trial's end and the plan it named starts there.
    const spans = await prisma.subscription.findMany({
      where: { tenantId: converting.tenantId },
      orderBy: { startedAt: 'asc' },
      include: { plan: true },
    });
    expect(
      spans.map((s) => [s.plan.id, s.status, s.startedAt.toISOString(), s.endedAt?.toISOString() ?? null]),
    ).toEqual([
      [plans.team.id, 'canceled', '2025-10-01T00:00:00.000Z', '2025-10-11T00:00:00.000Z'],
      [plans.starter.id, 'active', '2025-10-11T00:00:00.000Z', null],
    ]);
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { id: converting.tenantId } });
    expect(tenant.planId).toBe(plans.starter.id);

    // Expired: a suspend workflow started by the system, with its first job recorded; running it suspends the tenant.
    const trial = await prisma.subscription.findFirstOrThrow({ where: { tenantId: expiring.tenantId } });
    expect(trial.status).toBe('canceled');
    const workflow = await prisma.workflow.findUniqueOrThrow({
      where: { key: `${TRIAL_SUSPEND_KEY_PREFIX}${trial.id}` },
    });
    expect(workflow).toMatchObject({ kind: 'suspend', status: 'running', tenantId: expiring.tenantId });
    const job = await prisma.jobRecord.findFirstOrThrow({
      where: { name: 'workflow.advance', payload: { path: ['workflowId'], equals: workflow.id } },
    });
    expect(job.status).toBe('queued');
    // The tenant's box was never bootstrapped, so the suspend step touches no SSH: the deps it needs are the database's.
    const deps = { prisma, queues } as unknown as ProvisioningDeps;
    await advanceWorkflow(
      { prisma, queues, workflows: { suspend: suspendWorkflow(deps) } },
      { workflowId: workflow.id, round: 0 },
      { attempt: 1, finalAttempt: false, signal: new AbortController().signal, logger: pino({ level: 'silent' }) },
    );
    const suspended = await prisma.tenant.findUniqueOrThrow({ where: { id: expiring.tenantId } });
    expect(suspended).toMatchObject({ status: 'suspended', statusReason: 'trial ended without a plan to continue on' });
    const audit = await prisma.auditLog.findMany({
      where: { action: { startsWith: 'subscription.trial_' } },
      select: { action: true, tenantId: true, actorType: true },
    });
    expect(audit).toHaveLength(2);
    expect(audit).toEqual(
      expect.arrayContaining([
        { action: 'subscription.trial_converted', tenantId: converting.tenantId, actorType: 'system' },
        { action: 'subscription.trial_expired', tenantId: expiring.tenantId, actorType: 'system' },
      ]),
    );

    // October's invoices: no fee for the trial, the starter plan's fee from the trial's end (21 of 31 days).
    await closeMonth({ prisma, pool }, { period: '2025-10' });
    const fees = async (tenantId: string) =>
      (await prisma.invoiceLine.findMany({ where: { tenantId, kind: 'plan_fee' }, select: { amountMinor: true } })).map(
        (l) => l.amountMinor,
      );
    expect(await fees(converting.tenantId)).toEqual([1_965]);
    expect(await fees(expiring.tenantId)).toEqual([]);
  });
});
