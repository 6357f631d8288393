import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for';
import { type OperatorApi, startOperatorApi } from './support/operator-api';
import { type LifecycleEnv, startLifecycleEnv } from './support/lifecycle-env';

// What operators do with tenant workflows, on a real worker process and real test boxes: a parked provisioning with
// its reason and alert, the retry that completes it, suspend and resume, delete (box destroyed, billing kept).
describe('operator actions on tenant workflows', () => {
  let env: LifecycleEnv;
  let ops: OperatorApi;
  let tenantId: string;
  let workflowId: string;

  beforeAll(async () => {
    env = await startLifecycleEnv();
    ops = await startOperatorApi(env);
    await env.startWorker('worker-ops');
  }, 120_000);
  afterAll(async () => {
    await ops?.app.close();
    await env?.close();
  });

  it('parks a tenant whose provisioning keeps failing, with the reason and an alert, and a retry completes it', async () => {
    // No deployable release: the deploy step fails on every attempt and the workflow is parked.
    const { count } = await env.prisma.release.updateMany({ data: { withdrawnAt: new Date() } });
    expect(count).toBeGreaterThan(0);
    ({ tenantId, workflowId } = await env.signUp('parked'));
    await env.waitForTenant(tenantId, 'provisioning_failed', 90_000);
    const tenant = await env.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } });
    expect(tenant.statusReason).toMatch(/^deploy: No runtime release has been published/);
    const alert = await env.prisma.alert.findFirstOrThrow({ where: { tenantId, code: 'provisioning_failed' } });
    expect(alert).toMatchObject({ status: 'open', severity: 'critical' });
    expect(alert.message).toContain('failed at deploy');

    const listed = await ops.app.inject({
      method: 'GET',
      url: `/v1/operator/workflows?status=failed&tenantId=${tenantId}`,
      headers: ops.headers,
    });
    expect(listed.statusCode).toBe(200);
    const parked = (listed.json() as { workflows: Record<string, unknown>[] }).workflows[0];
    if (!parked) throw new Error('the parked workflow is not listed');
    expect(parked).toMatchObject({ id: workflowId, kind: 'provision', currentStep: 'deploy', status: 'failed' });
    expect((parked.steps as { name: string }[]).map((s) => s.name).sort()).toEqual(
      ['bootstrap', 'create_box', 'pin_host_key', 'replace_host_key', 'wait_reachable'].sort(),
    );
    const detail = await ops.app.inject({
      method: 'GET',
      url: `/v1/operator/workflows/${workflowId}`,
      headers: ops.headers,
    });
    const failedJob = (detail.json() as { jobs: { status: string; attempts: number }[] }).jobs.find(
      (job) => job.status === 'failed',
    );
    expect(failedJob?.attempts).toBe(6);

    await env.prisma.release.updateMany({ data: { withdrawnAt: null } });
    const retry = await ops.app.inject({
      method: 'POST',
      url: `/v1/operator/workflows/${workflowId}/retry`,
      headers: ops.headers,
    });
    expect(retry.statusCode).toBe(202);
    expect(retry.json()).toEqual({ workflowId, round: 1 });
    await env.waitForTenant(tenantId, 'active', 90_000);
    expect(await env.prisma.box.count({ where: { tenantId } })).toBe(1);
    expect(await env.prisma.alert.findUniqueOrThrow({ where: { id: alert.id } })).toMatchObject({ status: 'resolved' });
    // The steps that had succeeded were not run again: their records are the ones from before the retry.
    const done = await env.prisma.workflow.findUniqueOrThrow({ where: { id: workflowId } });
    const doneSteps = (done.state as { steps: Record<string, { finishedAt: string }> }).steps;
    for (const step of parked.steps as { name: string; finishedAt: string }[]) {
      expect(doneSteps[step.name]?.finishedAt).toBe(step.finishedAt);
    }
    const again = await ops.app.inject({
      method: 'POST',
      url: `/v1/operator/workflows/${workflowId}/retry`,
      headers: ops.headers,
    });
    expect(again.statusCode).toBe(409);
  }, 200_000);

  it('suspends and resumes an active tenant: the runtime stops and starts again', async () => {
    const start = (kind: string) =>
      ops.app.inject({
        method: 'POST',
        url: '/v1/operator/workflows',
        headers: ops.headers,
        payload: { kind, tenantId },
      });
    const resumeTooEarly = await start('resume');
    expect(resumeTooEarly.statusCode).toBe(409);
    const suspend = await start('suspend');
    expect(suspend.statusCode).toBe(202);
    await env.waitForTenant(tenantId, 'suspended', 60_000);
    const resume = await start('resume');
    expect(resume.statusCode).toBe(202);
    await env.waitForTenant(tenantId, 'active', 60_000);
    const box = await env.prisma.box.findFirstOrThrow({ where: { tenantId } });
    expect(box.status).toBe('ready');
  }, 150_000);

  it('deletes a tenant: its box is destroyed at the provider, access ends, billing records stay', async () => {
    const box = await env.prisma.box.findFirstOrThrow({ where: { tenantId } });
    expect((await env.boxes.status(box.providerId!)).status).toBe('running');
    const cost = await env.prisma.costEntry.create({
      data: {
        tenantId,
        boxId: box.id,
        kind: 'box_time',
        description: 'box hours',
        quantity: 3600n,
        unit: 'second',
        amountMicros: 12_000n,
        sourceKey: `box:${box.id}:test-hour`,
        occurredAt: new Date(),
      },
    });
    const invoice = await env.prisma.invoice.create({
      data: { tenantId, number: `PDK-TEST-${tenantId.slice(0, 8)}`, periodStart: new Date(), periodEnd: new Date() },
    });
    const bad = await ops.app.inject({
      method: 'POST',
      url: '/v1/operator/workflows',
      headers: ops.headers,
      payload: { kind: 'explode', tenantId },
    });
    expect(bad.statusCode).toBe(400);
    const started = await ops.app.inject({
      method: 'POST',
      url: '/v1/operator/workflows',
      headers: { ...ops.headers, 'idempotency-key': `delete-${tenantId}` },
      payload: { kind: 'delete', tenantId },
    });
    expect(started.statusCode).toBe(202);
    const repeated = await ops.app.inject({
      method: 'POST',
      url: '/v1/operator/workflows',
      headers: { ...ops.headers, 'idempotency-key': `delete-${tenantId}` },
      payload: { kind: 'delete', tenantId },
    });
    expect(repeated.json()).toEqual({ workflowId: started.json().workflowId, created: false });
    await env.waitForTenant(tenantId, 'deleted', 60_000);

    expect(await env.prisma.box.findUniqueOrThrow({ where: { id: box.id } })).toMatchObject({ status: 'destroyed' });
    expect((await env.boxes.status(box.providerId!)).status).toBe('gone');
    expect(await env.prisma.apiKey.count({ where: { tenantId, revokedAt: null } })).toBe(0);
    expect(await env.prisma.sshKey.count({ where: { tenantId, revokedAt: null } })).toBe(0);
    expect(await env.prisma.subscription.findFirstOrThrow({ where: { tenantId } })).toMatchObject({
      status: 'canceled',
    });
    expect(await env.prisma.costEntry.findUnique({ where: { id: cost.id } })).not.toBeNull();
    expect(await env.prisma.invoice.findUnique({ where: { id: invoice.id } })).not.toBeNull();
    await waitFor('the delete workflow to be recorded as succeeded', async () => {
      const wf = await env.prisma.workflow.findUniqueOrThrow({ where: { id: started.json().workflowId } });
      return wf.status === 'succeeded';
    });
  }, 120_000);
});
