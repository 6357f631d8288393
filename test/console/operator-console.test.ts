import { hashPassword } from '@paddock/vault';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LifecycleEnv, startLifecycleEnv } from '../lifecycle/support/lifecycle-env';
import { type ConsoleBrowser, launchConsoleBrowser, screenshot } from './support/browser';

const EMAIL = 'console-ops@example.com';
const PASSWORD = 'correct horse battery staple';

// An operator at the console, in Debian's Chromium, against the real API and worker processes and a real test box.
describe('operator console in a browser', () => {
  let env: LifecycleEnv;
  let browser: ConsoleBrowser;
  let url: string;
  let tenantId: string;
  let slug: string;

  beforeAll(async () => {
    env = await startLifecycleEnv();
    // One at a time: each process compiles the whole app at start, and on a loaded 2-core machine they starve each
    // other past their start timeouts when started at once.
    // The console is built (when out of date) before the API starts: the API looks for the build once, at start.
    browser = await launchConsoleBrowser();
    url = (await env.startApi()).url;
    await env.startWorker('worker-console');
    await env.prisma.user.create({
      data: { email: EMAIL, role: 'operator', operatorRole: 'operator', passwordHash: await hashPassword(PASSWORD) },
    });
    ({ tenantId } = await env.signUp('console'));
    // A few other tenants, so finding one is a search and not the only row.
    for (let i = 0; i < 3; i += 1) await env.signUp('other');
    slug = (await env.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).slug;
    await env.waitForTenant(tenantId, 'active', 120_000);
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  async function confirmAction(page: Page, label: 'Suspend' | 'Resume', status: string) {
    await page.getByRole('button', { name: `${label} tenant` }).click();
    const dialog = page.getByRole('dialog', { name: new RegExp(`^${label} `) });
    // The dialog opens on Cancel: Enter alone never confirms.
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('Cancel');
    await dialog.getByRole('button', { name: label, exact: true }).click();
    await page
      .getByTestId('tenant-status')
      .filter({ hasText: new RegExp(`^${status}$`) })
      .waitFor({ timeout: 90_000 });
  }

  it('logs in, finds a tenant, suspends and resumes it (each audited), with no console error', async () => {
    const { page, errors, context } = await browser.open(url);
    await page.goto('/console/');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await screenshot(page, 'operator-login');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('heading', { name: 'Tenants by status' }).waitFor();
    // The overview, tenants and tenant pages' screenshots come from operator-pages.test.ts (seeded with spend, charts).
    // Keyboard: the first Tab lands on the skip link, which takes the focus to the page's content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement?.id')).toBe('main');

    // The session lives in an httpOnly cookie: page scripts cannot see it.
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'paddock_operator_session')).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
    });
    expect(await page.evaluate('document.cookie')).toBe('');

    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByLabel('Search (slug, name or email prefix)').fill(slug);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=/);
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    await rows.getByRole('link').click();
    await page
      .getByTestId('tenant-status')
      .filter({ hasText: /^active$/ })
      .waitFor();

    await confirmAction(page, 'Suspend', 'suspended');
    expect((await env.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).status).toBe('suspended');
    await confirmAction(page, 'Resume', 'active');

    // The audit log names the operator for both actions, in order, and the page shows them.
    const audit = await env.prisma.auditLog.findMany({
      where: { tenantId, action: { in: ['tenant.suspend', 'tenant.resume'] } },
      orderBy: { createdAt: 'asc' },
    });
    expect(audit.map((a) => [a.action, a.actorLabel, a.targetId])).toEqual([
      ['tenant.suspend', EMAIL, tenantId],
      ['tenant.resume', EMAIL, tenantId],
    ]);
    await page.getByRole('cell', { name: 'tenant.resume' }).waitFor();

    // Logging out ends the session server-side too: the cookie no longer opens anything.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    const revoked = await env.prisma.session.findMany({ where: { user: { email: EMAIL } } });
    expect(revoked.every((s) => s.revokedAt !== null)).toBe(true);
    expect(errors).toEqual([]);
  });
});
