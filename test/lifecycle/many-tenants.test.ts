import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LifecycleEnv, startLifecycleEnv } from './support/lifecycle-env';

/** Kept small for CI; the same test with 20 was measured by hand (see the lifecycle notes in the report). */
const CONCURRENT_TENANTS = 3;

// Several signups at once, provisioned by two worker processes in parallel: each tenant gets its own box, and every
// box ends ready with the current release.
describe(`${CONCURRENT_TENANTS} tenants provisioned at once`, () => {
  let env: LifecycleEnv;

  beforeAll(async () => {
    env = await startLifecycleEnv();
    await Promise.all([env.startWorker('worker-1'), env.startWorker('worker-2')]);
  }, 120_000);
  afterAll(() => env?.close());

  it('runs every one to active, one box each', async () => {
    const started = Date.now();
    const signups = await Promise.all(Array.from({ length: CONCURRENT_TENANTS }, (_, i) => env.signUp(`many-${i}`)));
    await Promise.all(signups.map((s) => env.waitForTenant(s.tenantId, 'active', 300_000)));
    const wallMs = Date.now() - started;
    const tenantIds = signups.map((s) => s.tenantId);
    const boxes = await env.prisma.box.findMany({ where: { tenantId: { in: tenantIds } } });
    expect(boxes).toHaveLength(CONCURRENT_TENANTS);
    expect(new Set(boxes.map((b) => b.tenantId)).size).toBe(CONCURRENT_TENANTS);
    expect(new Set(boxes.map((b) => b.address)).size).toBe(CONCURRENT_TENANTS);
    expect(boxes.every((b) => b.status === 'ready')).toBe(true);
    const running = (await env.boxes.list()).filter((m) => m.status === 'running');
    expect(running.map((m) => m.providerId).sort()).toEqual(boxes.map((b) => b.providerId).sort());
    console.info(`${CONCURRENT_TENANTS} tenants signup -> active, concurrently: ${wallMs} ms wall`);
  }, 400_000);
});
