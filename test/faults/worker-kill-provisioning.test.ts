import { readTestEnv } from '@paddock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVISION_STEPS } from '@paddock/services';
import { type LifecycleEnv, startLifecycleEnv } from '../lifecycle/support/lifecycle-env';
import { waitFor } from '../support/wait-for';

const LONG = readTestEnv().PADDOCK_TEST_PROFILE === 'long';
// Short: the two steps that change the box the most. Long: every step of provisioning.
const KILL_POINTS: readonly string[] = LONG ? PROVISION_STEPS : ['bootstrap', 'deploy'];

// A worker SIGKILLed while it provisions a tenant (no cleanup, no goodbye), at a chosen step; another worker started
// after the kill finishes the workflow. After each: one box for the tenant, ready, on the current release, its
// deploys all ended (none left running) with the last one succeeded, and no deploy lock left behind.
describe('a worker killed mid-provisioning and mid-deploy', () => {
  let env: LifecycleEnv;

  beforeAll(async () => {
    env = await startLifecycleEnv();
  }, 120_000);
  afterAll(() => env?.close());

  /** True once the step is under way on the doomed worker. */
  async function atStep(workflowId: string, step: string, workerId: string): Promise<boolean> {
    const wf = await env.prisma.workflow.findUniqueOrThrow({ where: { id: workflowId } });
    if (wf.currentStep !== step) return false;
    const running = await env.prisma.jobRecord.count({
      where: { jobId: { startsWith: `wf-${workflowId}-` }, status: 'running', workerId },
    });
    return running > 0;
  }

  for (const step of KILL_POINTS) {
    it(`ends with one healthy box on one release after a kill during ${step}`, async () => {
      const doomedId = `doomed-${step}`;
      const doomed = await env.startWorker(doomedId);
      const signup = await env.signUp(`kill-${step}`);
      // A quick step may be over before it is seen: then the kill lands in a later one, which is as good a test.
      const seen = await waitFor(
        `provisioning to reach ${step}`,
        async () => {
          if (await atStep(signup.workflowId, step, doomedId)) return step;
          const wf = await env.prisma.workflow.findUniqueOrThrow({ where: { id: signup.workflowId } });
          const past = PROVISION_STEPS.indexOf(wf.currentStep as (typeof PROVISION_STEPS)[number]);
          return past > PROVISION_STEPS.indexOf(step as (typeof PROVISION_STEPS)[number]) ? wf.currentStep : undefined;
        },
        120_000,
      );
      await doomed.stop('SIGKILL');

      const heir = await env.startWorker(`heir-${step}`);
      await env.waitForTenant(signup.tenantId, 'active', 180_000);
      const workflow = await env.prisma.workflow.findUniqueOrThrow({ where: { id: signup.workflowId } });
      expect(workflow.status).toBe('succeeded');

      const boxes = await env.prisma.box.findMany({ where: { tenantId: signup.tenantId } });
      expect(boxes.map((b) => b.status)).toEqual(['ready']);
      const box = boxes[0];
      if (!box) throw new Error('no box');
      const machines = (await env.boxes.list()).filter(
        (m) => m.status === 'running' && m.providerId === box.providerId,
      );
      expect(machines).toHaveLength(1);

      const current = await env.prisma.release.findFirstOrThrow({
        where: { promotedAt: { not: null } },
        orderBy: { promotedAt: 'desc' },
      });
      expect(box.currentReleaseId).toBe(current.id);
      const deploys = await env.prisma.deploy.findMany({ where: { boxId: box.id }, orderBy: { createdAt: 'asc' } });
      expect(deploys.length).toBeGreaterThan(0);
      expect(deploys.filter((d) => d.status === 'queued' || d.status === 'running')).toEqual([]);
      expect(deploys.at(-1)?.status).toBe('succeeded');
      expect(await env.prisma.boxLock.count({ where: { boxId: box.id } })).toBe(0);
      console.info(`killed during ${seen}; finished by the heir`);
      await heir.stop('SIGTERM');
    }, 300_000);
  }
});
