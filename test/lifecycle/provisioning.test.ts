import { PROVISION_STEPS } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for';
import { type LifecycleEnv, startLifecycleEnv } from './support/lifecycle-env';

// Signup to a running box with a real worker process, real Postgres and Redis, a real sshd test box and the real
// runtime release: every step of the provision workflow as production runs it.
describe('provisioning a new tenant', () => {
  let env: LifecycleEnv;

  beforeAll(async () => {
    env = await startLifecycleEnv();
    await env.startWorker('worker-a');
  }, 120_000);
  afterAll(() => env?.close());

  it('takes a signup to an active tenant on a ready box running the current release', async () => {
    const signup = await env.signUp('first');
    await env.waitForTenant(signup.tenantId, 'active');
    const wallMs = Date.now() - signup.startedAt;
    const workflow = await env.prisma.workflow.findUniqueOrThrow({ where: { id: signup.workflowId } });
    expect(workflow.status).toBe('succeeded');
    const steps = Object.keys((workflow.state as { steps: Record<string, unknown> }).steps);
    expect(steps.sort()).toEqual([...PROVISION_STEPS].sort());
    const boxes = await env.prisma.box.findMany({ where: { tenantId: signup.tenantId } });
    expect(boxes).toHaveLength(1);
    const box = boxes[0]!;
    const release = await env.prisma.release.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
    expect(box).toMatchObject({ status: 'ready', provider: 'local', currentReleaseId: release.id });
    expect(box.hostKeyPinnedAt).not.toBeNull();
    expect(box.bootstrappedAt).not.toBeNull();
    expect(workflow.boxId).toBe(box.id);
    // One job record per step (plus the signup's own job), each succeeded.
    const jobs = await env.prisma.jobRecord.findMany({
      where: { tenantId: signup.tenantId, name: { in: ['tenant.provision', 'workflow.advance'] } },
    });
    expect(jobs.map((j) => j.status)).toEqual(Array(PROVISION_STEPS.length + 1).fill('succeeded'));
    // The last step handed the workspace's state to the new box: its secrets are pushed by their own job.
    const push = await waitFor(
      'the secrets push queued by sync_workspace',
      async () =>
        (await env.prisma.jobRecord.findFirst({
          where: { tenantId: signup.tenantId, name: 'secrets.push', status: 'succeeded' },
        })) ?? undefined,
    );
    expect(push.output).toBeTruthy();
    const machine = await env.boxes.status(box.providerId!);
    expect(machine).toMatchObject({ status: 'running', host: box.address });
    const deploy = await env.prisma.deploy.findFirstOrThrow({ where: { boxId: box.id } });
    expect(deploy.status).toBe('succeeded');
    // The private halves are vault ciphertext, never OpenSSH text.
    const keys = await env.prisma.sshKey.findMany({ where: { tenantId: signup.tenantId } });
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key.privateKeyEncrypted).not.toContain('PRIVATE KEY');
    console.info(`signup -> active on a local test box: ${wallMs} ms`);
  }, 150_000);
});
