import { readFileSync } from 'node:fs';
import { closeMonth } from '@paddock/services';
import { hashPassword } from '@paddock/vault';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOLLAR_PICOS, seedTenant, seedTestPlans, seedUsage } from '../billing/support';
import { type LifecycleEnv, startLifecycleEnv } from '../lifecycle/support/lifecycle-env';
import { type ConsoleBrowser, launchConsoleBrowser, screenshot } from './support/browser';

const OPERATOR = 'billing-ops@example.com';
const VIEWER = 'billing-viewer@example.com';
const PASSWORD = 'correct horse battery staple';
const MODEL = 'console-model-unpriced';

async function logIn(page: Page, path: string, email: string) {
  await page.goto(path);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function audited(env: LifecycleEnv, action: string, targetId?: string) {
  return env.prisma.auditLog.findFirstOrThrow({
    where: { actorLabel: OPERATOR, action, ...(targetId ? { targetId } : {}) },
  });
}

// Billing at the console against the real API process and PostgreSQL: the price book (a version that prices waiting
// usage, then cannot be fixed since it rated some), plans, and an invoice issued, downloaded and voided.
describe('billing in the operator console', () => {
  let env: LifecycleEnv;
  let browser: ConsoleBrowser;
  let url: string;
  let tenantId: string;
  let invoiceId: string;

  beforeAll(async () => {
    env = await startLifecycleEnv();
    browser = await launchConsoleBrowser();
    url = (await env.startApi()).url;
    const passwordHash = await hashPassword(PASSWORD);
    await env.prisma.user.create({
      data: { email: OPERATOR, role: 'operator', operatorRole: 'operator', passwordHash },
    });
    await env.prisma.user.create({ data: { email: VIEWER, role: 'operator', operatorRole: 'viewer', passwordHash } });
    const plans = await seedTestPlans(env.prisma);
    const owner = await seedTenant(env.prisma, {
      createdAt: '2025-02-01T00:00:00Z',
      spans: [{ planId: plans.starter.id, from: '2025-02-01T00:00:00Z' }],
    });
    tenantId = owner.tenantId;
    // March is priced usage (it makes the invoice); April's model has no price yet.
    await seedUsage(env.prisma, owner, [
      {
        model: 'priced-model',
        tokensIn: 10,
        tokensOut: 5,
        picos: 8n * DOLLAR_PICOS,
        occurredAt: '2025-03-03T00:00:00Z',
      },
      { model: MODEL, tokensIn: 1_000, tokensOut: 500, picos: null, occurredAt: '2025-04-02T00:00:00Z' },
    ]);
    const pool = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
    try {
      await closeMonth({ prisma: env.prisma, pool }, { period: '2025-03' });
    } finally {
      await pool.end();
    }
    invoiceId = (await env.prisma.invoice.findFirstOrThrow({ where: { tenantId } })).id;
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  it('adds a price version that prices waiting usage, and shows the 409 when that used version is fixed', async () => {
    const { page, errors } = await browser.open(url);
    await logIn(page, '/console/billing/prices', OPERATOR);
    await page.getByRole('heading', { name: 'Price book' }).waitFor();
    const unpriced = page.getByRole('table', { name: 'Unpriced usage' });
    await unpriced.getByRole('row').filter({ hasText: MODEL }).filter({ hasText: '2025-04' }).waitFor();

    await page.getByLabel('Model', { exact: true }).fill(MODEL);
    await page.getByLabel('Input micros per 1M tokens').fill('3000000');
    await page.getByLabel('Output micros per 1M tokens').fill('15000000');
    await page.getByLabel('In force from').first().fill('2025-01-01T00:00');
    await page.getByLabel('Note', { exact: true }).first().fill('list price');
    await page.getByRole('button', { name: 'Add price version' }).click();
    await page.getByText(`Added ${MODEL}; 1 unpriced usage event(s) priced.`).waitFor();
    await page.getByText('Every usage event has a price.').waitFor();
    const row = page.getByTestId('model-price-row').filter({ hasText: MODEL });
    await row.getByText('current · used').waitFor();
    await screenshot(page, 'operator-prices');

    // The version rated usage: the API refuses a fix (409 price_in_use) and its message is what the operator reads.
    await row.getByRole('button', { name: new RegExp(`^Fix ${MODEL} from `) }).click();
    await row.getByLabel('Input micros').fill('1');
    await row.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'has rated usage and cannot be edited' }).waitFor();
    const price = await env.prisma.modelPrice.findFirstOrThrow({ where: { model: MODEL } });
    expect(price.inputMicrosPerMillion).toBe(3_000_000n);
    await audited(env, 'billing.model_price.create', price.id);
    expect(await env.prisma.auditLog.count({ where: { action: 'billing.model_price.update' } })).toBe(0);
    expect(errors.filter((e) => !e.includes('409'))).toEqual([]);
  }, 120_000);

  it('creates a plan and edits it, each audited', async () => {
    const { page, errors } = await browser.open(url);
    await logIn(page, '/console/billing/plans', OPERATOR);
    await page.getByRole('heading', { name: 'Create a plan' }).waitFor();
    await page.getByLabel('Code').fill('console-pro');
    await page.getByLabel('Name').fill('Console Pro');
    await page.getByLabel('Monthly fee').fill('49.50');
    await page.getByLabel('Provider').selectOption('local');
    await page.getByLabel('Usage markup %').fill('15');
    await page.getByRole('button', { name: 'Create plan' }).click();
    const row = page.getByTestId('plan-row').filter({ hasText: 'console-pro' });
    await row.getByText('USD 49.50').waitFor();
    const plan = await env.prisma.plan.findUniqueOrThrow({ where: { code: 'console-pro' } });
    expect(plan).toMatchObject({ name: 'Console Pro', priceMinor: 4_950, usageMarkupBps: 1_500, provider: 'local' });

    await row.getByRole('button', { name: 'Edit Console Pro' }).click();
    const form = page.getByRole('form', { name: 'Edit Console Pro' });
    await form.getByLabel('Name').fill('Console Pro 2');
    await form.getByLabel('Offered at signup').uncheck();
    await form.getByRole('button', { name: 'Save plan' }).click();
    await page.getByTestId('plan-row').filter({ hasText: 'Console Pro 2' }).getByText('hidden from signup').waitFor();
    expect(await env.prisma.plan.findUniqueOrThrow({ where: { code: 'console-pro' } })).toMatchObject({
      name: 'Console Pro 2',
      active: false,
      priceMinor: 4_950,
    });
    await audited(env, 'plan.create', plan.id);
    const update = await audited(env, 'plan.update', plan.id);
    expect(JSON.stringify(update.before)).toContain('Console Pro');
    expect(errors).toEqual([]);
  }, 120_000);

  it('issues an invoice, downloads it as CSV and JSON, and voids it, each audited', async () => {
    const invoice = await env.prisma.invoice.findUniqueOrThrow({ where: { id: invoiceId } });
    const { page, errors } = await browser.open(url);
    await logIn(page, `/console/billing/invoices?tenantId=${tenantId}`, OPERATOR);
    await page.getByRole('heading', { name: 'Invoices', exact: true }).waitFor();
    await page.getByRole('link', { name: invoice.number }).click();
    const status = page.getByTestId('invoice-status');
    await status.filter({ hasText: /^draft$/ }).waitFor();

    await page.getByRole('button', { name: 'Issue…' }).click();
    await page
      .getByRole('dialog', { name: `Issue ${invoice.number}?` })
      .getByRole('button', { name: 'Issue' })
      .click();
    await status.filter({ hasText: /^issued$/ }).waitFor();
    await screenshot(page, 'operator-invoice');

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).click()]);
    const csvText = readFileSync(await csv.path(), 'utf8');
    expect(csvText).toContain('priced-model');
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'JSON' }).click()]);
    expect(JSON.parse(readFileSync(await json.path(), 'utf8'))).toMatchObject({
      number: invoice.number,
      status: 'issued',
    });

    await page.getByLabel('Reason to void').fill('billed twice');
    await page.getByRole('button', { name: 'Void…' }).click();
    await page
      .getByRole('dialog', { name: `Void ${invoice.number}?` })
      .getByRole('button', { name: 'Void' })
      .click();
    await status.filter({ hasText: /^void$/ }).waitFor();
    expect(await env.prisma.invoice.findUniqueOrThrow({ where: { id: invoiceId } })).toMatchObject({
      status: 'void',
      voidReason: 'billed twice',
    });
    // An issued invoice is cancelled by a credit note, listed with it.
    await page.getByRole('row').filter({ hasText: 'credit note' }).waitFor();
    await audited(env, 'invoice.issue', invoiceId);
    await audited(env, 'invoice.void', invoiceId);
    expect(errors).toEqual([]);
  }, 120_000);

  it('shows a viewer the price book and invoices without any action, and the API refuses a price', async () => {
    const { page, errors } = await browser.open(url);
    await logIn(page, '/console/billing/prices', VIEWER);
    await page.getByRole('heading', { name: 'Model prices' }).waitFor();
    await page.getByTestId('model-price-row').first().waitFor();
    expect(await page.getByRole('button', { name: /Add|Fix/ }).count()).toBe(0);
    await page.goto(`/console/billing/invoices?id=${invoiceId}`);
    await page.getByTestId('invoice-status').waitFor();
    expect(await page.getByRole('button', { name: /Issue|Mark paid|Void/ }).count()).toBe(0);
    await page.goto('/console/billing/plans');
    await page.getByTestId('plan-row').first().waitFor();
    expect(await page.getByRole('button', { name: /Edit|Create/ }).count()).toBe(0);

    const before = await env.prisma.modelPrice.count();
    const reply = await page.evaluate(async () => {
      const session = (await (await fetch('/v1/operator/sessions/current')).json()) as { csrfToken: string };
      const response = await fetch('/v1/operator/billing/model-prices', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({
          model: 'viewer-model',
          currency: 'USD',
          inputMicrosPerMillion: 1,
          outputMicrosPerMillion: 1,
          effectiveFrom: '2025-01-01T00:00:00Z',
        }),
      });
      return { status: response.status, body: (await response.json()) as { error: { code: string } } };
    });
    expect(reply).toMatchObject({ status: 403, body: { error: { code: 'insufficient_role' } } });
    expect(await env.prisma.modelPrice.count()).toBe(before);
    expect(errors.filter((e) => !e.includes('403'))).toEqual([]);
  }, 120_000);
});
