import { createPrismaClient, type PrismaClient } from '@paddock/db';
import { closeMonth, issueInvoice, regenerateDraft, voidInvoice } from '@paddock/services';
import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOLLAR_PICOS, seedTenant, seedTestPlans, seedUsage } from './support';

let db: TestDatabase;
let prisma: PrismaClient;
// A second client with its own pool: the second "worker" of the concurrent close.
let other: PrismaClient;
// The close writes its pages through pg (COPY): each "worker" has its pool.
let pool: pg.Pool;
let otherPool: pg.Pool;
let plans: Awaited<ReturnType<typeof seedTestPlans>>;
let operator: { userId: string; email: string };

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url, { poolMax: 4 });
  other = createPrismaClient(db.url, { poolMax: 4 });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  otherPool = new pg.Pool({ connectionString: db.url, max: 2 });
  plans = await seedTestPlans(prisma);
  const user = await prisma.user.create({
    data: { email: 'billing-ops@example.com', role: 'operator', operatorRole: 'owner' },
  });
  operator = { userId: user.id, email: user.email };
});

afterAll(async () => {
  await prisma?.$disconnect();
  await other?.$disconnect();
  await pool?.end();
  await otherPool?.end();
  await db?.drop();
});

const numbersOf = async (period: string) =>
  (
    await prisma.invoice.findMany({
      where: { kind: 'invoice', periodStart: new Date(`${period}-01T00:00:00Z`) },
      select: { number: true, tenantId: true },
    })
  ).map((i) => i.number);

describe('the monthly close', () => {
  it('run twice at once, month after month, makes one invoice per tenant and month with gap-free numbers', async () => {
    const tenants = [];
    for (let i = 0; i < 23; i++) {
      const tenant = await seedTenant(prisma, {
        createdAt: '2025-01-01T00:00:00Z',
        spans: [{ planId: plans.starter.id, from: '2025-01-01T00:00:00Z' }],
      });
      await seedUsage(prisma, tenant, [
        { model: 'm-small', tokensIn: 100, tokensOut: 10, picos: DOLLAR_PICOS, occurredAt: '2025-02-10T00:00:00Z' },
      ]);
      tenants.push(tenant);
    }
    let expected = 0;
    for (const period of ['2025-02', '2025-03', '2025-04']) {
      // Different page sizes so the two runs interleave their pages differently each month.
      const [a, b] = await Promise.all([
        closeMonth({ prisma, pool }, { period, pageSize: 5 }),
        closeMonth({ prisma: other, pool: otherPool }, { period, pageSize: 7 }),
      ]);
      expect(a.created + b.created).toBe(23);
      const numbers = await numbersOf(period);
      expect(numbers).toHaveLength(23);
      expected += 23;
      // One invoice per tenant of the month.
      const perTenant = await prisma.invoice.groupBy({
        by: ['tenantId'],
        where: { periodStart: new Date(`${period}-01T00:00:00Z`) },
        _count: true,
      });
      expect(perTenant.every((g) => g._count === 1)).toBe(true);
      expect(perTenant).toHaveLength(23);
    }
    // Every number of the series from 1 to the count, each once: no gap, no repeat.
    const all = (await prisma.invoice.findMany({ select: { number: true } })).map((i) => i.number).sort();
    expect(all).toEqual(Array.from({ length: expected }, (_, i) => `PDK-2025-${String(i + 1).padStart(6, '0')}`));
    const counter = await prisma.invoiceNumberCounter.findUniqueOrThrow({ where: { series: 'PDK-2025' } });
    expect(counter.nextNumber).toBe(BigInt(expected + 1));
    // A third run finds nothing to do.
    expect((await closeMonth({ prisma, pool }, { period: '2025-03' })).created).toBe(0);
    // February's usage is on February's invoice, nowhere else.
    const first = tenants[0];
    if (!first) throw new Error('no tenant');
    const feb = await prisma.invoice.findFirstOrThrow({
      where: { tenantId: first.tenantId, periodStart: new Date('2025-02-01T00:00:00Z') },
      include: { lines: { orderBy: { position: 'asc' } } },
    });
    expect(feb.lines.map((l) => [l.kind, l.amountMinor])).toEqual([
      ['plan_fee', 2_900],
      ['usage', 100],
      ['allowance', -100],
    ]);
    expect(feb.totalMinor).toBe(2_900);
    expect(feb.status).toBe('draft');
  });

  it('refuses a month that is not over', async () => {
    await expect(closeMonth({ prisma, pool }, { period: '2099-01' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('prorates a plan change mid-month and rounds many tiny charges once per model line', async () => {
    const change = '2025-06-16T10:00:00Z';
    const tenant = await seedTenant(prisma, {
      createdAt: '2025-05-20T00:00:00Z',
      spans: [
        { planId: plans.starter.id, from: '2025-05-20T00:00:00Z', to: change },
        { planId: plans.team.id, from: change },
      ],
    });
    // 5,000 events of 0.001 cents each: $0.05 in all, where rounding each would have made $0.
    await seedUsage(
      prisma,
      tenant,
      Array.from({ length: 5_000 }, (_, i) => ({
        model: 'm-tiny',
        tokensIn: 1,
        tokensOut: 0,
        picos: 10_000_000n,
        occurredAt: new Date(Date.parse('2025-06-01T00:00:00Z') + i * 1_000).toISOString(),
      })),
    );
    // $30 on a large model: $20 included (team's allowance for its 350 of 720 hours + starter's for 370).
    await seedUsage(prisma, tenant, [
      { model: 'm-large', tokensIn: 1_000, tokensOut: 1_000, picos: 30n * DOLLAR_PICOS, occurredAt: change },
    ]);
    await closeMonth({ prisma, pool }, { period: '2025-06' });
    const invoice = await prisma.invoice.findFirstOrThrow({
      where: { tenantId: tenant.tenantId, periodStart: new Date('2025-06-01T00:00:00Z') },
      include: { lines: { orderBy: { position: 'asc' } } },
    });
    // Starter 370/720 of $29 = 14.90; team 350/720 of $99 = 48.125 -> 48.13.
    // Allowance: $5 x 370/720 + $20 x 350/720 = $12.291666..; usage $30.05; overage $17.758333.. x 10% = 1.78.
    expect(invoice.lines.map((l) => [l.kind, l.amountMinor])).toEqual([
      ['plan_fee', 1_490],
      ['plan_fee', 4_813],
      ['usage', 3_000],
      ['usage', 5],
      ['allowance', -1_229],
      ['overage', 178],
    ]);
    expect(invoice.totalMinor).toBe(1_490 + 4_813 + 3_000 + 5 - 1_229 + 178);
  });

  it('puts usage that arrives after the invoice on the next month, never on two', async () => {
    const tenant = await seedTenant(prisma, {
      createdAt: '2025-07-01T00:00:00Z',
      spans: [{ planId: plans.starter.id, from: '2025-07-01T00:00:00Z' }],
    });
    const usage = (picos: bigint) => ({
      model: 'm',
      tokensIn: 1,
      tokensOut: 1,
      picos,
      occurredAt: '2025-07-31T23:59:59Z',
    });
    await seedUsage(prisma, tenant, [usage(6n * DOLLAR_PICOS)]);
    await closeMonth({ prisma, pool }, { period: '2025-07' });
    // A July event that reaches the control plane after July's invoice was made.
    await seedUsage(prisma, tenant, [usage(7n * DOLLAR_PICOS)]);
    const july = await prisma.invoice.findFirstOrThrow({
      where: { tenantId: tenant.tenantId, periodStart: new Date('2025-07-01T00:00:00Z') },
    });
    // Regenerating July's draft keeps its window: the late event stays out.
    await regenerateDraft({ prisma }, operator, july.id);
    const usageOf = async (period: string) =>
      prisma.invoiceLine.findMany({
        where: {
          kind: 'usage',
          invoice: { tenantId: tenant.tenantId, periodStart: new Date(`${period}-01T00:00:00Z`) },
        },
        select: { amountMinor: true },
      });
    expect((await usageOf('2025-07')).map((l) => l.amountMinor)).toEqual([600]);
    await closeMonth({ prisma, pool }, { period: '2025-08' });
    expect((await usageOf('2025-08')).map((l) => l.amountMinor)).toEqual([700]);
  });

  it('corrects an issued invoice by voiding it: a credit note cancels it, a replacement bills the fixed price', async () => {
    const tenant = await seedTenant(prisma, {
      createdAt: '2025-09-01T00:00:00Z',
      spans: [{ planId: plans.starter.id, from: '2025-09-01T00:00:00Z' }],
    });
    await seedUsage(prisma, tenant, [
      {
        model: 'm-mispriced',
        tokensIn: 10,
        tokensOut: 0,
        picos: 15n * DOLLAR_PICOS,
        occurredAt: '2025-09-05T00:00:00Z',
      },
    ]);
    await closeMonth({ prisma, pool }, { period: '2025-09' });
    const draft = await prisma.invoice.findFirstOrThrow({
      where: { tenantId: tenant.tenantId, periodStart: new Date('2025-09-01T00:00:00Z') },
      include: { lines: { orderBy: { position: 'asc' } } },
    });
    const issued = await issueInvoice({ prisma }, operator, draft.id);
    expect(issued.status).toBe('issued');
    expect(issued.dueAt?.getTime()).toBe((issued.issuedAt?.getTime() ?? 0) + 14 * 86_400_000);
    // Issued is final: no regeneration, no second issue.
    await expect(regenerateDraft({ prisma }, operator, draft.id)).rejects.toMatchObject({ code: 'conflict' });
    await expect(issueInvoice({ prisma }, operator, draft.id)).rejects.toMatchObject({ code: 'conflict' });

    // The price was wrong: the rating side re-rates the usage ($15 -> $9), then the operator voids and replaces.
    await prisma.usageEvent.updateMany({
      where: { tenantId: tenant.tenantId },
      data: { chargedPicos: 9n * DOLLAR_PICOS },
    });
    const outcome = await voidInvoice({ prisma }, operator, {
      id: draft.id,
      reason: 'm-mispriced was overpriced',
      replace: true,
    });
    const { creditNote, replacement } = outcome;
    if (!creditNote || !replacement) throw new Error('void must credit and replace an issued invoice');

    // The issued invoice is untouched but void; the credit note negates every line and the total.
    const after = await prisma.invoice.findUniqueOrThrow({
      where: { id: draft.id },
      include: { lines: { orderBy: { position: 'asc' } } },
    });
    expect(after.status).toBe('void');
    expect(after.totalMinor).toBe(draft.totalMinor);
    expect(after.lines.map((l) => [l.kind, l.amountMinor])).toEqual(draft.lines.map((l) => [l.kind, l.amountMinor]));
    const noteLines = await prisma.invoiceLine.findMany({
      where: { invoiceId: creditNote.id },
      orderBy: { position: 'asc' },
    });
    expect(noteLines.map((l) => [l.kind, l.amountMinor])).toEqual(draft.lines.map((l) => [l.kind, -l.amountMinor]));
    expect(creditNote).toMatchObject({
      kind: 'credit_note',
      status: 'issued',
      correctsInvoiceId: draft.id,
      totalMinor: -draft.totalMinor,
    });
    expect(creditNote.number).toMatch(/^PDK-CN-\d{4}-000001$/);
    // The replacement: same month and usage window, today's price, the next number of the month's series.
    expect(draft.totalMinor).toBe(2_900 + 1_500 - 500 + 200); // fee + $15 - $5 included + 20% of $10
    expect(replacement).toMatchObject({
      status: 'draft',
      replacesInvoiceId: draft.id,
      totalMinor: 2_900 + 900 - 500 + 80,
    });
    expect(replacement.usageThrough).toEqual(draft.usageThrough);
    const series = await prisma.invoiceNumberCounter.findUniqueOrThrow({ where: { series: 'PDK-2025' } });
    expect(replacement.number).toBe(`PDK-2025-${String(series.nextNumber - 1n).padStart(6, '0')}`);
    // A voided invoice is not voided twice, and the month is not closed again for this tenant.
    await expect(
      voidInvoice({ prisma }, operator, { id: draft.id, reason: 'again', replace: true }),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    expect((await closeMonth({ prisma, pool }, { period: '2025-09' })).created).toBe(0);
    const actions = await prisma.auditLog.findMany({
      where: { targetType: 'invoice', targetId: draft.id },
      orderBy: { id: 'asc' },
      select: { action: true, actorLabel: true },
    });
    expect(actions).toEqual([
      { action: 'invoice.issue', actorLabel: operator.email },
      { action: 'invoice.void', actorLabel: operator.email },
    ]);
  });
});
