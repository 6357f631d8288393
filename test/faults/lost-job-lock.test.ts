import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVISION_STEPS } from '@paddock/services';
import { type LifecycleEnv, startLifecycleEnv } from '../lifecycle/support/lifecycle-env';
import { waitFor } from '../support/wait-for';

// A worker that loses its BullMQ lock while alive: SIGSTOPped mid-step past the lock's duration (a long GC pause,
// a frozen VM), its job taken over by another worker, then SIGCONTed so the two runs of one step overlap. The
// paused run must notice (lock renewal fails: its signal aborts) and must not apply the step's effects a second
// time: one box, one machine, one release deployed once, the workflow's record of each step from the run that
// owns the job, no extra job enqueued, nothing left locked or running.
const POINTS = ['bootstrap', 'deploy'] as const;

describe('a job whose lock is lost while its worker is paused', () => {
  let env: LifecycleEnv;

  beforeAll(async () => {
    env = await startLifecycleEnv();
  }, 120_000);
  afterAll(() => env?.close());

  /** The job record of the workflow's step job running on `workerId`, once the workflow is at `step`. */
  async function runningStep(workflowId: string, step: string, workerId: string) {
    const wf = await env.prisma.workflow.findUniqueOrThrow({ where: { id: workflowId } });
    if (wf.currentStep !== step) return undefined;
    return env.prisma.jobRecord.findFirst({
      where: { jobId: { startsWith: `wf-${workflowId}-` }, status: 'running', workerId },
    });
  }

  for (const step of POINTS) {
    it(`applies the ${step} step once when the paused run wakes up beside its heir`, async () => {
      const pausedId = `paused-${step}`;
      const heirId = `heir-${step}`;
      const paused = await env.startWorker(pausedId);
      const signup = await env.signUp(`lock-${step}`);
      const job = await waitFor(
        `the step ${step} under way`,
        () => runningStep(signup.workflowId, step, pausedId),
        180_000,
      );
      paused.child.kill('SIGSTOP');
      try {
        const heir = await env.startWorker(heirId);
        // The heir has taken the job over (lock expired, stalled check): both runs of the step now exist.
        await waitFor(
          'the heir to take the job over',
          async () => {
            const record = await env.prisma.jobRecord.findUniqueOrThrow({ where: { id: job.id } });
            return record.workerId === heirId && record.attempts > job.attempts;
          },
          60_000,
        );
        paused.child.kill('SIGCONT');
        await paused.waitForLog('job lock lost', 60_000);
        await env.waitForTenant(signup.tenantId, 'active', 240_000);
        // Graceful stop: the worker waits for its runs to end, so the paused run has done all it will do.
        await paused.stop('SIGTERM');

        const workflow = await env.prisma.workflow.findUniqueOrThrow({ where: { id: signup.workflowId } });
        expect(workflow.status).toBe('succeeded');
        const boxes = await env.prisma.box.findMany({ where: { tenantId: signup.tenantId } });
        expect(boxes.map((b) => b.status)).toEqual(['ready']);
        const box = boxes[0]!;
        const machines = (await env.boxes.list()).filter(
          (m) => m.status === 'running' && m.providerId === box.providerId,
        );
        expect(machines).toHaveLength(1);

        const deploys = await env.prisma.deploy.findMany({ where: { boxId: box.id }, orderBy: { createdAt: 'asc' } });
        expect(deploys.filter((d) => d.status === 'queued' || d.status === 'running')).toEqual([]);
        expect(deploys.filter((d) => d.status === 'failed' || d.status === 'rolled_back')).toEqual([]);
        // The release's files went to the box once: any second deploy found it there (nothing uploaded).
        expect(deploys.filter((d) => (d.filesUploaded ?? 0) > 0)).toHaveLength(1);
        expect(await env.prisma.boxLock.count({ where: { boxId: box.id } })).toBe(0);

        // The workflow's record of the deploy names a deploy that landed, and its step jobs ran once each.
        const state = workflow.state as { steps: Record<string, { attempts: number; output?: { deployId?: string } }> };
        const deployId = state.steps.deploy?.output?.deployId;
        expect(deploys.find((d) => d.id === deployId)?.status).toBe('succeeded');
        const records = await env.prisma.jobRecord.findMany({
          where: { jobId: { startsWith: `wf-${signup.workflowId}-` } },
        });
        expect(records).toHaveLength(PROVISION_STEPS.length);
        expect(records.filter((r) => r.status !== 'succeeded')).toEqual([]);
        const taken = records.find((r) => r.id === job.id);
        expect(taken?.workerId).toBe(heirId);
        // The step's record is the heir's (its attempt), not the woken run's written over it.
        expect(state.steps[step]?.attempts).toBe(taken?.attempts);
        console.info(`deploys: ${deploys.map((d) => `${d.status}/${d.filesUploaded}`).join(', ')}`);
        await heir.stop('SIGTERM');
      } finally {
        paused.child.kill('SIGCONT');
      }
    }, 420_000);
  }
});
