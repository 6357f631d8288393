import { randomUUID } from 'node:crypto';
import { startWorkers, createPrismaJobRecords } from '@paddock/jobs';
import { provisioningJobId, QUEUED_FOR_PROVISIONING } from '@paddock/services';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../apps/worker/src/handlers';
import type { TestApp } from '../../apps/api/src/test-app';
import { signupRequest, startTenantTestApp } from './support';
import { waitFor } from '../support/wait-for';

describe('the provisioning job of a signup', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTenantTestApp();
  });
  afterAll(() => t.close());

  it('is queued again by a replay when the first answer never reached Redis', async () => {
    const key = randomUUID();
    const request = signupRequest({ email: 'lost@example.com', workspaceName: 'Lost Job', plan: 'starter' }, key);
    const first = (await t.app.inject(request)).json();
    const jobId = provisioningJobId(first.workflowId);
    // As if the process died between the commit and the add to Redis.
    await (await t.queues.provisioning.getJob(jobId))?.remove();
    expect(await t.queues.provisioning.getJob(jobId)).toBeUndefined();
    const replay = await t.app.inject(request);
    expect(replay.statusCode).toBe(202);
    const job = await t.queues.provisioning.getJob(jobId);
    expect(job?.data).toEqual({ tenantId: first.tenant.id, workflowId: first.workflowId });
    expect(await t.prisma.jobRecord.count({ where: { tenantId: first.tenant.id } })).toBe(1);
  });

  it('runs on a worker into startProvisioning: the workflow first step is queued once, however often the job runs', async () => {
    const signup = (
      await t.app.inject(signupRequest({ email: 'worker@example.com', workspaceName: 'Worker Path', plan: 'team' }))
    ).json();
    const handlers = createHandlers({ prisma: t.prisma, queues: t.queues, workflows: {} });
    let releaseSteps = () => {};
    const stepsHeld = new Promise<void>((resolve) => {
      releaseSteps = resolve;
    });
    const workers = startWorkers({
      connection: t.redis,
      prefix: (t.queues.provisioning.opts.prefix as string) ?? 'bull',
      workerId: 'test-worker',
      records: createPrismaJobRecords(t.prisma),
      // Only the signup's job runs through: the workflow's steps are held until the assertions are done.
      handlers: { ...handlers, 'workflow.advance': () => stepsHeld.then(() => ({ held: true })) },
      logger: pino({ level: 'silent' }),
      concurrency: { provisioning: 2 },
      lockDurationMs: 30_000,
      stalledIntervalMs: 30_000,
    });
    try {
      const record = await waitFor('the job record to succeed', () =>
        t.prisma.jobRecord.findFirst({
          where: { tenantId: signup.tenant.id, name: 'tenant.provision', status: 'succeeded' },
        }),
      );
      expect(record).toMatchObject({ attempts: 1, workerId: 'test-worker' });
      expect(record.output).toEqual({ workflowId: signup.workflowId, tenantId: signup.tenant.id, status: 'running' });
      const workflow = await t.prisma.workflow.findUniqueOrThrow({ where: { id: signup.workflowId } });
      expect(workflow.status).toBe('running');
      expect((workflow.state as Record<string, { jobId: string }>)[QUEUED_FOR_PROVISIONING]?.jobId).toBe(
        provisioningJobId(signup.workflowId),
      );
      const firstStepJobId = `wf-${signup.workflowId}-r0-s0`;
      const firstStep = await t.prisma.jobRecord.findFirst({ where: { jobId: firstStepJobId } });
      expect(firstStep).toMatchObject({ name: 'workflow.advance', tenantId: signup.tenant.id });
      // The outbox job delivered twice (a replay after a lost answer) queues nothing more.
      await handlers['tenant.provision'](
        { tenantId: signup.tenant.id, workflowId: signup.workflowId },
        {
          jobId: provisioningJobId(signup.workflowId),
          attempt: 2,
          finalAttempt: false,
          workerId: 'w',
          signal: new AbortController().signal,
          logger: pino({ level: 'silent' }),
        },
      );
      expect(await t.prisma.jobRecord.count({ where: { jobId: firstStepJobId } })).toBe(1);
      const tenant = await t.prisma.tenant.findUniqueOrThrow({ where: { id: signup.tenant.id } });
      expect(tenant.status).toBe('provisioning');
    } finally {
      releaseSteps();
      await Promise.all(workers.map((worker) => worker.close()));
    }
  });

  it('fails loudly when the worker has no database client, instead of pretending', async () => {
    const handlers = createHandlers();
    await expect(
      handlers['tenant.provision'](
        { tenantId: randomUUID(), workflowId: randomUUID() },
        {
          jobId: 'x',
          attempt: 1,
          finalAttempt: true,
          workerId: 'w',
          signal: new AbortController().signal,
          logger: pino({ level: 'silent' }),
        },
      ),
    ).rejects.toThrow(/without a database client/);
  });
});
