import { randomUUID } from 'node:crypto';
import { startWorkers } from '@paddock/jobs';
import { createPrismaJobRecords } from '@paddock/jobs/prisma-job-records';
import { provisioningJobId, QUEUED_FOR_PROVISIONING } from '@paddock/services';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../apps/worker/src/handlers';
import type { TestApp } from '../../apps/api/src/test-app';
import { signupRequest, startTenantTestApp } from './support';

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

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

  it('runs on a worker into startProvisioning: step recorded, workflow still running, tenant still provisioning', async () => {
    const signup = (
      await t.app.inject(signupRequest({ email: 'worker@example.com', workspaceName: 'Worker Path', plan: 'team' }))
    ).json();
    const workers = startWorkers({
      connection: t.redis,
      prefix: (t.queues.provisioning.opts.prefix as string) ?? 'bull',
      workerId: 'test-worker',
      records: createPrismaJobRecords(t.prisma),
      handlers: createHandlers({ prisma: t.prisma }),
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
      expect(record.output).toMatchObject({ step: QUEUED_FOR_PROVISIONING, provisioned: false });
      const workflow = await t.prisma.workflow.findUniqueOrThrow({ where: { id: signup.workflowId } });
      expect(workflow).toMatchObject({ status: 'running', currentStep: QUEUED_FOR_PROVISIONING, attempts: 1 });
      expect((workflow.state as Record<string, { jobId: string }>)[QUEUED_FOR_PROVISIONING]?.jobId).toBe(
        provisioningJobId(signup.workflowId),
      );
      const tenant = await t.prisma.tenant.findUniqueOrThrow({ where: { id: signup.tenant.id } });
      expect(tenant.status).toBe('provisioning');
    } finally {
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
