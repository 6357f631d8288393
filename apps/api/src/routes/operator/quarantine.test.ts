import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, startTestApp, type TestApp } from '../../test-app';

describe('GET /v1/operator/quarantine', () => {
  let t: TestApp;
  let token: string;
  const ids = { tenantA: '', tenantB: '', boxA: '', boxB: '' };

  beforeAll(async () => {
    t = await startTestApp();
    await createOperator(t.prisma, 'ops@example.com', 'correct horse battery staple');
    token = await loginAs(t.app, 'ops@example.com', 'correct horse battery staple');
    const plan = await t.prisma.plan.create({ data: { code: 'q', name: 'Q', priceMinor: 0, provider: 'local' } });
    for (const side of ['A', 'B'] as const) {
      const tenant = await t.prisma.tenant.create({ data: { slug: `q-${side}`, name: side, planId: plan.id } });
      const box = await t.prisma.box.create({ data: { tenantId: tenant.id, provider: 'local' } });
      ids[`tenant${side}`] = tenant.id;
      ids[`box${side}`] = box.id;
    }
    // Five records on A's box, one on B's, as the collector writes them.
    const rows = [...Array.from({ length: 5 }, (_, i) => ['A', i] as const), ['B', 0] as const];
    for (const [side, i] of rows) {
      await t.prisma.quarantinedEvent.create({
        data: {
          tenantId: ids[`tenant${side}`],
          boxId: ids[`box${side}`],
          runtimeRunId: `r-${side}`,
          seq: BigInt(3_000_000_000 + i),
          cursor: `j1:${i}`,
          reason: i === 4 ? 'line_too_long' : 'seq_out_of_range',
          detail: `seq ${3_000_000_000 + i}`,
          bytes: BigInt(300 + i),
          excerpt: '{"run_id":"r"}',
          fingerprint: `${side}${i}`.padEnd(64, '0'),
        },
      });
    }
  });
  afterAll(() => t.close());

  const get = (query: string) =>
    t.app.inject({ url: `/v1/operator/quarantine${query}`, headers: { authorization: `Bearer ${token}` } });

  it('pages newest first by a keyset cursor, filtered by tenant, box or reason', async () => {
    const first = await get(`?tenantId=${ids.tenantA}&limit=3`);
    expect(first.statusCode).toBe(200);
    const page = first.json();
    expect(page.events.map((e: { seq: string }) => e.seq)).toEqual(['3000000004', '3000000003', '3000000002']);
    expect(page.events[0]).toMatchObject({
      tenantId: ids.tenantA,
      boxId: ids.boxA,
      runtimeRunId: 'r-A',
      cursor: 'j1:4',
      reason: 'line_too_long',
      bytes: '304',
    });
    const second = (await get(`?tenantId=${ids.tenantA}&limit=3&cursor=${page.nextCursor}`)).json();
    expect(second.events.map((e: { seq: string }) => e.seq)).toEqual(['3000000001', '3000000000']);
    expect(second.nextCursor).toBeNull();
    expect((await get(`?boxId=${ids.boxB}`)).json().events).toHaveLength(1);
    expect((await get('?reason=line_too_long')).json().events).toHaveLength(1);
    expect((await get('')).json().events).toHaveLength(6);
  });

  it('answers 400 for a bad filter or cursor and 401 without an operator session', async () => {
    expect((await get('?cursor=abc')).statusCode).toBe(400);
    expect((await get('?boxId=not-a-uuid')).json().error.code).toBe('validation_failed');
    expect((await t.app.inject({ url: '/v1/operator/quarantine' })).statusCode).toBe(401);
  });
});
