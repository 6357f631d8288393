import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, startTestApp, type TestApp } from '../../apps/api/src/test-app';

const EMAIL = 'spend@example.com';
const PASSWORD = 'correct horse battery staple';
const PICOS_PER_MICRO = 1_000_000n;

// This month's spend and margin on the overview, and one tenant's costs for its page, from rows in PostgreSQL:
// usage charged at exact pico sums rounded once, box time, provider cost as the boxes reported it; last month's rows
// and other tenants' rows stay out.
describe('operator overview spend and a tenant page costs', () => {
  let t: TestApp;
  let headers: { authorization: string };
  let tenantA: string;
  let tenantB: string;

  beforeAll(async () => {
    t = await startTestApp();
    await createOperator(t.prisma, EMAIL, PASSWORD, 'viewer');
    headers = { authorization: `Bearer ${await loginAs(t.app, EMAIL, PASSWORD)}` };
    const plan = await t.prisma.plan.create({
      data: { code: 'spend', name: 'Spend', priceMinor: 0, provider: 'local' },
    });
    const make = async (slug: string) => {
      const tenant = await t.prisma.tenant.create({ data: { slug, name: slug, status: 'active', planId: plan.id } });
      const box = await t.prisma.box.create({ data: { tenantId: tenant.id, provider: 'local', status: 'ready' } });
      return { tenant: tenant.id, box: box.id };
    };
    const a = await make('spend-a');
    const b = await make('spend-b');
    tenantA = a.tenant;
    tenantB = b.tenant;
    const now = new Date();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 15));
    let seq = 0;
    const usage = async (who: { tenant: string; box: string }, picos: bigint, reported: bigint, at: Date) => {
      seq += 1;
      await t.prisma.usageEvent.create({
        data: {
          tenantId: who.tenant,
          boxId: who.box,
          idempotencyKey: `${who.box}:r:${seq}`,
          runtimeRunId: 'r',
          seq,
          type: 'usage',
          chainName: 'c',
          stepName: 's',
          model: 'm',
          tokensIn: 10,
          tokensOut: 5,
          rating: 'priced',
          chargedPicos: picos,
          reportedCostMicros: reported,
          occurredAt: at,
        },
      });
    };
    // A: 1.5 micros + 2.5 micros charged (exact sum 4 micros, not 2 + 3 rounded separately), reported 1 micro.
    await usage(a, 1_500_000n, 1n, now);
    await usage(a, 2_500_000n, 0n, now);
    // B: $1.000000 charged, provider cost $0.40; a row from last month that must not count.
    await usage(b, 1_000_000n * PICOS_PER_MICRO, 400_000n, now);
    await usage(b, 9_000_000n * PICOS_PER_MICRO, 0n, lastMonth);
    await t.prisma.costEntry.create({
      data: {
        tenantId: b.tenant,
        boxId: b.box,
        kind: 'box_time',
        description: 'box time',
        quantity: 3_600_000n,
        unit: 'ms',
        amountMicros: 250_000n,
        sourceKey: `box:${b.box}:now`,
        occurredAt: now,
      },
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('sums the month across tenants: charged, provider cost, margin, box time, one rounding', async () => {
    const reply = await t.app.inject({ url: '/v1/operator/overview', headers });
    expect(reply.statusCode, reply.body).toBe(200);
    const { spendThisMonth } = reply.json() as {
      spendThisMonth: { from: string; to: string; currencies: Record<string, unknown>[] };
    };
    expect(new Date(spendThisMonth.from).getUTCDate()).toBe(1);
    expect(spendThisMonth.currencies).toEqual([
      {
        currency: 'USD',
        usageChargedMicros: '1000004',
        boxTimeChargedMicros: '250000',
        providerCostMicros: '400001',
        marginMicros: '600003',
        // $1.000004 + $0.25 = 125 cents.
        totalChargedMinor: 125,
      },
    ]);
  });

  it("reads one tenant's costs by day for its page, and 404s an unknown tenant", async () => {
    const reply = await t.app.inject({ url: `/v1/operator/tenants/${tenantA}/costs?groupBy=day`, headers });
    expect(reply.statusCode, reply.body).toBe(200);
    const costs = reply.json() as { usage: { chargedMicros: string; events: number }[]; boxTime: unknown[] };
    expect(costs.usage).toHaveLength(1);
    expect(costs.usage[0]).toMatchObject({ chargedMicros: '4', events: 2 });
    expect(costs.boxTime).toEqual([]);
    const now = new Date();
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
    const other = await t.app.inject({
      url: `/v1/operator/tenants/${tenantB}/costs?groupBy=model&from=${monthStart}`,
      headers,
    });
    expect((other.json() as { usage: { chargedMicros: string }[] }).usage[0]?.chargedMicros).toBe('1000000');
    const missing = await t.app.inject({
      url: '/v1/operator/tenants/00000000-0000-4000-8000-000000000000/costs',
      headers,
    });
    expect(missing.statusCode).toBe(404);
    expect((missing.json() as { error: { code: string } }).error.code).toBe('not_found');
  });
});
