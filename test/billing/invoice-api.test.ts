import pg from 'pg';
import { closeMonth } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, type TestApp } from '../../apps/api/src/test-app';
import { type SignedUp, signUp, startTenantTestApp } from '../tenant/support';
import { DOLLAR_PICOS, seedUsage } from './support';

let t: TestApp;
let ops: { authorization: string };
let a: SignedUp;
let b: SignedUp;
let invoiceA: string;
let invoiceB: string;

/** Moves a signed-up tenant's start (and its subscription's) into the past, so a past month can be closed for it. */
async function backdate(tenantId: string, at: string) {
  await t.prisma.tenant.update({ where: { id: tenantId }, data: { createdAt: new Date(at) } });
  await t.prisma.subscription.updateMany({ where: { tenantId }, data: { startedAt: new Date(at) } });
}

beforeAll(async () => {
  t = await startTenantTestApp();
  await createOperator(t.prisma, 'invoices-ops@example.com', 'correct horse battery staple');
  ops = { authorization: `Bearer ${await loginAs(t.app, 'invoices-ops@example.com', 'correct horse battery staple')}` };
  a = await signUp(t.app, 'inv-a');
  b = await signUp(t.app, 'inv-b');
  for (const tenant of [a, b]) await backdate(tenant.tenantId, '2025-02-01T00:00:00Z');
  const box = await t.prisma.box.create({ data: { tenantId: a.tenantId, provider: 'local', status: 'ready' } });
  await seedUsage(t.prisma, { tenantId: a.tenantId, boxId: box.id }, [
    // Model names with quotes and HTML in them: CSV quoting and HTML escaping must hold.
    {
      model: '=HYPERLINK("x")',
      tokensIn: 10,
      tokensOut: 5,
      picos: 8n * DOLLAR_PICOS,
      occurredAt: '2025-03-03T00:00:00Z',
    },
    { model: '<script>x</script>', tokensIn: 1, tokensOut: 1, picos: DOLLAR_PICOS, occurredAt: '2025-03-04T00:00:00Z' },
  ]);
  const pool = new pg.Pool({ connectionString: t.databaseUrl, max: 2 });
  try {
    await closeMonth({ prisma: t.prisma, pool }, { period: '2025-03' });
  } finally {
    await pool.end();
  }
  const invoices = await t.prisma.invoice.findMany({ where: { periodStart: new Date('2025-03-01T00:00:00Z') } });
  invoiceA = invoices.find((i) => i.tenantId === a.tenantId)?.id ?? '';
  invoiceB = invoices.find((i) => i.tenantId === b.tenantId)?.id ?? '';
});

afterAll(() => t?.close());

const get = (url: string, headers: { authorization: string }) => t.app.inject({ url, headers });
const post = (url: string, payload?: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url, headers: ops, ...(payload === undefined ? {} : { payload }) });

describe('invoices over the API', () => {
  it('keeps drafts from tenants, then lists the issued invoice to its tenant only', async () => {
    expect((await get(`/v1/invoices/${invoiceA}`, a.headers)).statusCode).toBe(404);
    expect((await get('/v1/invoices', a.headers)).json()).toEqual({ invoices: [], nextCursor: null });
    const issued = await post(`/v1/operator/invoices/${invoiceA}/issue`);
    expect(issued.statusCode).toBe(200);
    expect(issued.json()).toMatchObject({ id: invoiceA, status: 'issued', period: '2025-03' });
    const again = await post(`/v1/operator/invoices/${invoiceA}/issue`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('conflict');
    await post(`/v1/operator/invoices/${invoiceB}/issue`);

    const listA = (await get('/v1/invoices', a.headers)).json() as { invoices: Array<{ id: string }> };
    expect(listA.invoices.map((i) => i.id)).toEqual([invoiceA]);
    const listB = (await get('/v1/invoices', b.headers)).json() as { invoices: Array<{ id: string }> };
    expect(listB.invoices.map((i) => i.id)).toEqual([invoiceB]);
  });

  it('downloads the invoice as JSON, CSV and printable HTML', async () => {
    const json = await get(`/v1/invoices/${invoiceA}/download?format=json`, a.headers);
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-type']).toContain('application/json');
    expect(json.headers['content-disposition']).toMatch(/^attachment; filename="PDK-2025-\d{6}\.json"$/);
    const body = JSON.parse(json.body) as { number: string; totalMinor: number; lines: Array<{ kind: string }> };
    // Starter ($19, $5 included, +15%): fee 19 + usage 9 - 5 included + 15% of 4.
    expect(body.totalMinor).toBe(1_900 + 900 - 500 + 60);
    expect(body.lines.map((l) => l.kind)).toEqual(['plan_fee', 'usage', 'usage', 'allowance', 'overage']);

    const csv = await get(`/v1/invoices/${invoiceA}/download?format=csv`, a.headers);
    expect(csv.headers['content-type']).toContain('text/csv');
    const rows = csv.body.trim().split('\r\n');
    expect(rows[0]).toBe('invoice,period,currency,kind,description,quantity,unit,unit_price_micros,amount');
    expect(rows).toHaveLength(1 + 5 + 1);
    expect(rows.at(-1)).toBe(`${body.number},2025-03,USD,total,Total,,,,23.60`);
    expect(rows[3]).toBe(
      `${body.number},2025-03,USD,usage,"Model =HYPERLINK(""x""): 10 input + 5 output tokens",15,token,533333,8.00`,
    );

    const html = await get(`/v1/invoices/${invoiceA}/download?format=html`, a.headers);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain(`<h1>Invoice ${body.number}</h1>`);
    expect(html.body).toContain('23.60');
    expect(html.body).not.toContain('<script>');
    expect(html.body).toContain('&lt;script&gt;');

    const bad = await get(`/v1/invoices/${invoiceA}/download?format=pdf`, a.headers);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('validation_failed');
  });

  it("answers 404 for another tenant's invoice in every form", async () => {
    for (const url of [`/v1/invoices/${invoiceA}`, `/v1/invoices/${invoiceA}/download?format=csv`]) {
      const reply = await get(url, b.headers);
      expect(reply.statusCode).toBe(404);
      expect(reply.json().error.code).toBe('not_found');
      expect(reply.body).not.toContain('PDK-');
    }
    expect((await get(`/v1/invoices/${invoiceA}`, { authorization: 'Bearer nope' })).statusCode).toBe(401);
  });

  it('lets operators mark paid, then void with a credit note the tenant sees; each action audited', async () => {
    expect((await post(`/v1/operator/invoices/${invoiceA}/mark-paid`)).json()).toMatchObject({ status: 'paid' });
    const missingReason = await post(`/v1/operator/invoices/${invoiceA}/void`, {});
    expect(missingReason.statusCode).toBe(400);
    expect((await t.prisma.invoice.findUniqueOrThrow({ where: { id: invoiceA } })).status).toBe('paid');
    const voided = await post(`/v1/operator/invoices/${invoiceA}/void`, { reason: 'billed twice', replace: false });
    expect(voided.statusCode).toBe(200);
    const outcome = voided.json() as { invoice: { status: string }; creditNote: { id: string; totalMinor: number } };
    expect(outcome.invoice.status).toBe('void');
    expect(outcome.creditNote.totalMinor).toBe(-2_360);
    const list = (await get('/v1/invoices', a.headers)).json() as { invoices: Array<{ id: string; kind: string }> };
    expect(list.invoices.map((i) => [i.id, i.kind])).toEqual([
      [outcome.creditNote.id, 'credit_note'],
      [invoiceA, 'invoice'],
    ]);
    const note = await get(`/v1/invoices/${outcome.creditNote.id}/download?format=html`, a.headers);
    expect(note.body).toContain('Credit note PDK-CN-');
    expect((await get(`/v1/invoices/${outcome.creditNote.id}`, b.headers)).statusCode).toBe(404);

    const audit = await t.prisma.auditLog.findMany({
      where: { targetId: invoiceA },
      orderBy: { id: 'asc' },
      select: { action: true, actorLabel: true },
    });
    expect(audit.map((r) => r.action)).toEqual(['invoice.issue', 'invoice.mark_paid', 'invoice.void']);
    expect(audit.every((r) => r.actorLabel === 'invoices-ops@example.com')).toBe(true);
    const filtered = await get(`/v1/operator/invoices?tenantId=${a.tenantId}&status=void`, ops);
    expect((filtered.json() as { invoices: Array<{ id: string }> }).invoices.map((i) => i.id)).toEqual([invoiceA]);
  });

  it('changes a plan mid-month over the operator API, audited; refuses an unknown plan and the same plan', async () => {
    const unknown = await t.app.inject({
      method: 'PUT',
      url: `/v1/operator/tenants/${b.tenantId}/plan`,
      headers: ops,
      payload: { plan: 'no-such-plan', reason: 'upgrade' },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details[0].path).toBe('body.plan');
    const changed = await t.app.inject({
      method: 'PUT',
      url: `/v1/operator/tenants/${b.tenantId}/plan`,
      headers: ops,
      payload: { plan: 'team', reason: 'asked for more boxes' },
    });
    expect(changed.statusCode).toBe(200);
    const reply = changed.json() as {
      ended: { plan: string; endedAt: string };
      started: { plan: string; startedAt: string };
    };
    expect(reply.ended.plan).toBe('starter');
    expect(reply.started.plan).toBe('team');
    expect(reply.started.startedAt).toBe(reply.ended.endedAt);
    const tenant = await t.prisma.tenant.findUniqueOrThrow({ where: { id: b.tenantId }, include: { plan: true } });
    expect(tenant.plan.code).toBe('team');
    const same = await t.app.inject({
      method: 'PUT',
      url: `/v1/operator/tenants/${b.tenantId}/plan`,
      headers: ops,
      payload: { plan: 'team', reason: 'again' },
    });
    expect(same.statusCode).toBe(409);
    const audit = await t.prisma.auditLog.findFirstOrThrow({
      where: { action: 'subscription.change_plan', targetId: b.tenantId },
    });
    expect(audit.details).toMatchObject({ fromPlan: 'starter', toPlan: 'team', reason: 'asked for more boxes' });
  });
});
