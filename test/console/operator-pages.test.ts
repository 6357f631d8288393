import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, type TestApp } from '../../apps/api/src/test-app';
import { type ConsoleBrowser, launchConsoleBrowser, screenshot } from './support/browser';
import { startConsoleApp } from './support/console-app';
import { seedTenantActivity, seedTenants } from './support/seed-operator-pages';

const EMAIL = 'pages-ops@example.com';
const PASSWORD = 'correct horse battery staple';
const TENANTS = 70;
const PAGE = 50;

// The overview's spend, the tenant list sorted on the server, and a tenant's page with its charts, invoices and
// alerts, in Debian's Chromium against the API and PostgreSQL: what the person sees is checked against the database.
describe('operator pages in a browser: spend, sorting, a tenant page', () => {
  let browser: ConsoleBrowser;
  let t: TestApp;
  let url: string;
  let page: Page;
  let errors: string[];
  let showcase: Awaited<ReturnType<typeof seedTenantActivity>>;

  beforeAll(async () => {
    browser = await launchConsoleBrowser();
    ({ t, url } = await startConsoleApp());
    await createOperator(t.prisma, EMAIL, PASSWORD, 'operator');
    const planId = await seedTenants(t.prisma, TENANTS);
    showcase = await seedTenantActivity(t.prisma, planId);
    ({ page, errors } = await browser.open(url));
    await page.goto('/console/');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("shows this month's spend and margin as the API counts them", async () => {
    const token = await loginAs(t.app, EMAIL, PASSWORD);
    const overview = await t.app.inject({
      url: '/v1/operator/overview',
      headers: { authorization: `Bearer ${token}` },
    });
    const [usd] = (overview.json() as { spendThisMonth: { currencies: { totalChargedMinor: number }[] } })
      .spendThisMonth.currencies;
    expect(usd?.totalChargedMinor).toBeGreaterThan(0);
    const shown = page.getByTestId('spend-total-USD');
    await shown.waitFor();
    expect(await shown.textContent()).toBe(`$${((usd?.totalChargedMinor ?? 0) / 100).toFixed(2)}`);
    await page.getByTestId('spend-margin-USD').waitFor();
    await screenshot(page, 'operator-overview');
    expect(errors).toEqual([]);
  });

  async function slugsShown(): Promise<string[]> {
    return page.locator('tbody tr td:nth-child(2)').allTextContents();
  }
  async function slugsInDatabase(orderBy: string, offset = 0): Promise<string[]> {
    const rows = await t.prisma.$queryRawUnsafe<{ slug: string }[]>(
      `SELECT slug FROM tenants ORDER BY ${orderBy} LIMIT ${PAGE} OFFSET ${offset}`,
    );
    return rows.map((row) => row.slug);
  }

  it('sorts the tenant list on the server by clicking or keying the column headers, page by page', async () => {
    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('heading', { name: 'Tenants' }).waitFor();
    // Default: newest first.
    await expect.poll(slugsShown).toEqual(await slugsInDatabase('created_at DESC, id DESC'));

    await page.getByRole('button', { name: /^Name/ }).click();
    await page.waitForURL(/sort=name&order=asc/);
    await expect.poll(slugsShown).toEqual(await slugsInDatabase('name ASC, id ASC'));
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toContain('Name');
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(slugsShown).toEqual(await slugsInDatabase('name ASC, id ASC', PAGE));
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(slugsShown).toEqual(await slugsInDatabase('name ASC, id ASC'));

    // The same header again: descending, from the first page.
    await page.getByRole('button', { name: /^Name/ }).click();
    await page.waitForURL(/sort=name&order=desc/);
    await expect.poll(slugsShown).toEqual(await slugsInDatabase('name DESC, id DESC'));

    // By keyboard: the Status header is a button in the tab order.
    await page.getByRole('button', { name: /^Status/ }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/sort=status&order=asc/);
    await expect.poll(slugsShown).toEqual(await slugsInDatabase('status ASC, created_at ASC, id ASC'));
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toContain('Status');

    // A filter keeps the sort.
    await page.getByLabel('Status', { exact: true }).selectOption('suspended');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/status=suspended/);
    const suspended = await t.prisma.$queryRaw<{ slug: string }[]>`
      SELECT slug FROM tenants WHERE status = 'suspended' ORDER BY status, created_at, id LIMIT ${PAGE}`;
    await expect.poll(slugsShown).toEqual(suspended.map((row) => row.slug));

    await page.goto('/console/tenants?sort=name&order=asc');
    await expect.poll(slugsShown).toEqual(await slugsInDatabase('name ASC, id ASC'));
    await screenshot(page, 'operator-tenants');
    expect(errors).toEqual([]);
  });

  it("shows a tenant's usage and cost charts, invoices, alerts and audit link", async () => {
    await page.goto(`/console/tenants/${showcase.tenantId}`);
    await page.getByRole('heading', { name: 'Showcase Labs' }).waitFor();
    // Both charts drew on a canvas, and their figures are in the table screen readers read.
    await page.getByRole('img', { name: 'Tokens per day' }).waitFor();
    await page.getByRole('img', { name: 'Charged per day (USD)' }).waitFor();
    const today = new Date().toISOString().slice(0, 10);
    const tokensToday = await t.prisma.usageEvent.aggregate({
      where: { tenantId: showcase.tenantId, occurredAt: { gte: new Date(`${today}T00:00:00Z`) } },
      _sum: { tokensIn: true },
    });
    const tokenTable = page.locator('table', { has: page.locator('caption', { hasText: 'Tokens per day' }) });
    const todayRow = tokenTable.locator('tr', { has: page.locator('th', { hasText: today }) });
    expect(await todayRow.locator('td').first().textContent()).toBe(String(tokensToday._sum.tokensIn));
    // The 30 days' total: usage and box time as charged.
    const boxMicros = 14n * 160_000n;
    const total = Number(showcase.usageMicros + boxMicros) / 1_000_000;
    expect(await page.getByTestId('tenant-cost-total').textContent()).toContain(`$${total.toFixed(2)}`);

    const invoices = page.locator('section', { has: page.getByRole('heading', { name: 'Invoices' }) });
    await invoices.getByRole('cell', { name: showcase.invoiceNumber }).waitFor();
    expect(await invoices.getByRole('cell', { name: '$74.12' }).count()).toBe(1);
    const alerts = page.locator('section', { has: page.getByRole('heading', { name: 'Alerts' }) });
    await alerts.getByText('watchdog_killed').waitFor();
    await page.getByRole('link', { name: "Search all of this tenant's audit entries" }).waitFor();
    await screenshot(page, 'operator-tenant', { fullPage: true });
    expect(errors).toEqual([]);
  });
});
