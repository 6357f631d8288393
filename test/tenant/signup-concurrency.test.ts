import { randomUUID } from 'node:crypto';
import { hashToken } from '@paddock/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { signupRequest, startTenantTestApp } from './support';

const SIGNUPS = 1_000;

describe('1,000 concurrent signups, many replaying their key', () => {
  let t: TestApp;

  beforeAll(async () => {
    // All requests are in flight at once and queue for ten connections; on a busy CI machine the last ones wait
    // longer than the default 10 s pool timeout, which would fail them for the test's own pile-up.
    t = await startTenantTestApp({ poolMax: 10, poolTimeoutMs: 120_000 });
  });
  afterAll(() => t.close());

  it('creates exactly one tenant, workflow and provisioning job per signup; every replay gets the same answer', async () => {
    const signups = Array.from({ length: SIGNUPS }, (_, i) => ({
      key: randomUUID(),
      body: { email: `load-${i}@example.com`, workspaceName: `Load Test ${i}`, plan: i % 2 ? 'starter' : 'team' },
    }));
    // Every signup once, half of them twice and a tenth three times, all in flight together, shuffled.
    const requests = signups.flatMap((s, i) => Array.from({ length: 1 + (i % 2) + (i % 10 === 0 ? 1 : 0) }, () => s));
    for (let i = requests.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [requests[i], requests[j]] = [requests[j] as (typeof requests)[number], requests[i] as (typeof requests)[number]];
    }

    const started = performance.now();
    const replies = await Promise.all(
      requests.map(async (s) => ({ key: s.key, reply: await t.app.inject(signupRequest(s.body, s.key)) })),
    );
    const elapsedMs = performance.now() - started;
    console.info(
      `signup load: ${requests.length} requests (${SIGNUPS} signups) in ${Math.round(elapsedMs)} ms, ` +
        `${Math.round((requests.length / elapsedMs) * 1000)} requests/s`,
    );

    const statuses = new Map<number, number>();
    for (const { reply } of replies) statuses.set(reply.statusCode, (statuses.get(reply.statusCode) ?? 0) + 1);
    expect(Object.fromEntries(statuses)).toEqual({ 202: requests.length });

    const answersByKey = new Map<string, Set<string>>();
    for (const { key, reply } of replies) answersByKey.set(key, (answersByKey.get(key) ?? new Set()).add(reply.body));
    expect(answersByKey.size).toBe(SIGNUPS);
    for (const answers of answersByKey.values()) expect(answers.size).toBe(1);
    const replayed = replies.filter(({ reply }) => reply.headers['idempotent-replayed'] === 'true').length;
    expect(replayed).toBe(requests.length - SIGNUPS);

    expect(await t.prisma.tenant.count()).toBe(SIGNUPS);
    expect(await t.prisma.user.count({ where: { role: 'owner' } })).toBe(SIGNUPS);
    expect(await t.prisma.workflow.count({ where: { kind: 'provision' } })).toBe(SIGNUPS);
    const jobsPerTenant = await t.prisma.jobRecord.groupBy({
      by: ['tenantId'],
      where: { name: 'tenant.provision' },
      _count: { _all: true },
    });
    expect(jobsPerTenant).toHaveLength(SIGNUPS);
    expect(jobsPerTenant.every((row) => row._count._all === 1)).toBe(true);
    const counts = await t.queues.provisioning.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(SIGNUPS);

    // Each answer's API key is the one whose hash was stored for that tenant.
    const keys = [...answersByKey.values()].map((answers) => {
      const body = JSON.parse([...answers][0] as string) as { tenant: { id: string }; apiKey: { key: string } };
      return { tenantId: body.tenant.id, hash: hashToken(body.apiKey.key) };
    });
    const stored = await t.prisma.apiKey.findMany({ select: { tenantId: true, keyHash: true } });
    expect(new Map(stored.map((k) => [k.keyHash, k.tenantId]))).toEqual(new Map(keys.map((k) => [k.hash, k.tenantId])));
  }, 180_000);
});
