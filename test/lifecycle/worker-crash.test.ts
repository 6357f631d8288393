import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for';
import { type LifecycleEnv, startLifecycleEnv } from './support/lifecycle-env';

// The worker dies by SIGKILL in the middle of provisioning (no cleanup, no goodbye). Another worker takes the stalled
// step over once its lock expires, and the workflow completes with exactly one box: the Box row was written before
// the provider was asked, and the box itself outlived the worker that made it.
describe('a worker killed mid-provisioning', () => {
  let env: LifecycleEnv;

  beforeAll(async () => {
    env = await startLifecycleEnv();
  }, 120_000);
  afterAll(() => env?.close());

  it('is replaced by another worker, and the workflow completes with one box', async () => {
    const first = await env.startWorker('worker-doomed');
    const signup = await env.signUp('crash');
    const step = await waitFor(
      'provisioning to reach the box',
      async () => {
        const wf = await env.prisma.workflow.findUniqueOrThrow({ where: { id: signup.workflowId } });
        return wf.currentStep === 'bootstrap' || wf.currentStep === 'deploy' ? wf.currentStep : undefined;
      },
      60_000,
    );
    await first.stop('SIGKILL');
    const box = await env.prisma.box.findFirstOrThrow({ where: { tenantId: signup.tenantId } });
    // The box is not tied to the dead worker's life.
    expect((await env.boxes.status(box.providerId!)).status).toBe('running');

    await env.startWorker('worker-heir');
    await env.waitForTenant(signup.tenantId, 'active', 120_000);
    const boxes = await env.prisma.box.findMany({ where: { tenantId: signup.tenantId } });
    expect(boxes.map((b) => [b.id, b.status])).toEqual([[box.id, 'ready']]);
    const machines = (await env.boxes.list()).filter((m) => m.status === 'running');
    expect(machines.map((m) => m.providerId)).toEqual([box.providerId]);
    const workflow = await env.prisma.workflow.findUniqueOrThrow({ where: { id: signup.workflowId } });
    expect(workflow.status).toBe('succeeded');
    // The step the worker died in was finished by the heir.
    const jobs = await env.prisma.jobRecord.findMany({ where: { jobId: { startsWith: `wf-${signup.workflowId}-` } } });
    expect(jobs.every((job) => job.status === 'succeeded')).toBe(true);
    expect(jobs.some((job) => job.workerId === 'worker-heir')).toBe(true);
    console.info(`killed during ${step}; completed by the second worker`);
  }, 200_000);
});
