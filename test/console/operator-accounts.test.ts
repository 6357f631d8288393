import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, type TestApp } from '../../apps/api/src/test-app';
import { type ConsoleBrowser, launchConsoleBrowser, screenshot } from './support/browser';
import { startConsoleApp } from './support/console-app';

const OWNER = 'owner-console@example.com';
const VIEWER = 'viewer-console@example.com';
const INVITEE = 'new-operator@example.com';
const PASSWORD = 'correct horse battery staple';
const INVITEE_PASSWORD = 'a brand new long passphrase';

async function logIn(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

// Operator accounts, the audit log and session expiry in Debian's Chromium against the API and PostgreSQL: an owner
// invites an operator, the invitee sets a password and logs in, the owner disables them and their open page falls
// back to the login form; the audit page finds what those actions wrote; a session that ends under a page returns
// to the login form and, after logging in, to the same page.
describe('operator accounts, audit log and session expiry in a browser', () => {
  let browser: ConsoleBrowser;
  let t: TestApp;
  let url: string;
  let owner: { page: Page; errors: string[] };

  beforeAll(async () => {
    browser = await launchConsoleBrowser();
    ({ t, url } = await startConsoleApp());
    await createOperator(t.prisma, OWNER, PASSWORD, 'owner');
    await createOperator(t.prisma, VIEWER, PASSWORD, 'viewer');
    owner = await browser.open(url);
    await owner.page.goto('/console/accounts');
    await logIn(owner.page, OWNER, PASSWORD);
    // Logging in at a page's address lands on that page.
    await owner.page.getByRole('heading', { name: 'Operator accounts' }).waitFor();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('owner invites an operator; the invitee accepts, logs in; the owner disables them and their session ends', async () => {
    const { page } = owner;
    await page.getByRole('textbox', { name: 'Email' }).fill(INVITEE);
    await page.getByLabel('Name (optional)').fill('New Operator');
    await page.getByLabel('Role', { exact: true }).selectOption('operator');
    await page.getByRole('button', { name: 'Invite' }).click();
    const link = page.getByTestId('one-time-link');
    await link.waitFor();
    // The link is focused and selected for copying, and shown once.
    expect(await page.evaluate('document.activeElement?.id')).toBe('one-time-link');
    const inviteUrl = (await link.inputValue()).replace(/^https?:\/\/[^/]+/, '');
    expect(inviteUrl).toMatch(/^\/console\/accept#token=/);
    await page.getByTestId(`account-${INVITEE}`).getByText('invited').waitFor();
    await screenshot(page, 'operator-accounts');
    await page.getByRole('button', { name: 'Done' }).click();

    // The invitee, in a browser of their own.
    const invitee = await browser.open(url);
    await invitee.page.goto(inviteUrl);
    await invitee.page.getByLabel('New password (at least 12 characters)').fill(INVITEE_PASSWORD);
    await invitee.page.getByLabel('The same password again').fill(INVITEE_PASSWORD);
    await invitee.page.getByRole('button', { name: 'Set password' }).click();
    await invitee.page.getByText('Your password is set: log in with it.').waitFor();
    await logIn(invitee.page, INVITEE, INVITEE_PASSWORD);
    await invitee.page.getByRole('heading', { name: 'Overview' }).waitFor();
    // An operator (not an owner) reads the accounts but gets no controls.
    await invitee.page.getByRole('link', { name: 'Accounts' }).click();
    await invitee.page.getByText('Only an owner can invite or change operators.').waitFor();
    expect(await invitee.page.getByRole('button', { name: 'Invite' }).count()).toBe(0);
    const row = await t.prisma.user.findUniqueOrThrow({ where: { email: INVITEE } });
    expect(row).toMatchObject({ operatorRole: 'operator', name: 'New Operator', disabledAt: null });

    // The owner disables them, confirmed in a dialog that opens on Cancel.
    await page.reload();
    await page.getByTestId(`account-${INVITEE}`).getByText('active').waitFor();
    await page.getByRole('button', { name: `Disable ${INVITEE}` }).click();
    const dialog = page.getByRole('dialog', { name: `Disable ${INVITEE}?` });
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Disable', exact: true }).click();
    await page.getByTestId(`account-${INVITEE}`).getByText('disabled').waitFor();
    const sessions = await t.prisma.session.findMany({ where: { userId: row.id } });
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.every((s) => s.revokedAt !== null)).toBe(true);

    // The invitee's next request is refused: their console falls back to the login form, and cannot log in again.
    await invitee.page.getByRole('link', { name: 'Audit log' }).click();
    await invitee.page.getByText('Your session has ended.', { exact: false }).waitFor();
    await logIn(invitee.page, INVITEE, INVITEE_PASSWORD);
    await invitee.page.getByRole('alert').waitFor();
    expect(await invitee.page.getByRole('heading', { name: 'Audit log' }).count()).toBe(0);
    // The 401s are the expected answers (the browser logs refused requests); nothing else went wrong.
    expect(invitee.errors.filter((e) => !e.includes('401'))).toEqual([]);
    expect(owner.errors).toEqual([]);
  });

  it('the audit page finds the entries those actions wrote, by actor, action prefix and target', async () => {
    const { page } = owner;
    const invitee = await t.prisma.user.findUniqueOrThrow({ where: { email: INVITEE } });
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Actor (email, key prefix or id)').fill(OWNER);
    await page.getByLabel('Action').fill('operator.');
    await page.getByLabel('Target id').fill(invitee.id);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/action=operator\./);
    const expected = await t.prisma.auditLog.findMany({
      where: { actorLabel: OWNER, action: { startsWith: 'operator.' }, targetId: invitee.id },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    expect(expected.map((entry) => entry.action)).toEqual(['operator.disable', 'operator.invite']);
    const actions = () => page.getByTestId('audit-entry').locator('td:nth-child(3)').allTextContents();
    await expect.poll(actions).toEqual(expected.map((entry) => entry.action));
    // The invitee's own acceptance is theirs, found by their email.
    await page.getByLabel('Actor (email, key prefix or id)').fill(INVITEE);
    await page.getByLabel('Action').fill('operator.invite.accept');
    await page.getByLabel('Target id').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(actions).toEqual(['operator.invite.accept']);
    // The before/after of a change unfolds on demand.
    await page.getByLabel('Actor (email, key prefix or id)').fill(OWNER);
    await page.getByLabel('Action').fill('operator.disable');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(actions).toEqual(['operator.disable']);
    await page.getByTestId('audit-entry').getByText('Show').click();
    await page.getByTestId('audit-entry').locator('pre').filter({ hasText: '"before"' }).waitFor();
    await screenshot(page, 'operator-audit');
    expect(owner.errors).toEqual([]);
  });

  it('pages through the audit log with keyset pages, newest first', async () => {
    const { page } = owner;
    await t.prisma.auditLog.createMany({
      data: Array.from({ length: 60 }, (_, i) => ({
        actorType: 'system' as const,
        actorLabel: 'paging-test',
        action: 'test.page',
        targetType: 'thing',
        targetId: `thing-${String(i).padStart(2, '0')}`,
        createdAt: new Date(Date.now() - i * 1000),
      })),
    });
    await page.goto('/console/audit?actor=paging-test');
    const targets = () => page.getByTestId('audit-entry').locator('td:nth-child(4) .muted').allTextContents();
    // The API's newest first is the log's own order (its id), whatever the rows' clocks say.
    const rows = await t.prisma.auditLog.findMany({ where: { actorLabel: 'paging-test' }, orderBy: { id: 'desc' } });
    const all = rows.map((row) => row.targetId);
    expect(all).toHaveLength(60);
    await expect.poll(targets).toEqual(all.slice(0, 50));
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(targets).toEqual(all.slice(50));
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    expect(owner.errors).toEqual([]);
  });

  it('a session that ends under a page returns to the login form, then to the same page after logging in', async () => {
    const viewer = await browser.open(url);
    const { page } = viewer;
    const address = '/console/audit?actor=paging-test';
    await page.goto(address);
    await logIn(page, VIEWER, PASSWORD);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByTestId('audit-entry').first().waitFor();
    // The session's cookie expires on the server (as after its TTL): the next request is a 401.
    const user = await t.prisma.user.findUniqueOrThrow({ where: { email: VIEWER } });
    await t.prisma.session.updateMany({ where: { userId: user.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Your session has ended. Log in again to go on where you were.').waitFor();
    // Still at the page's address, with its search.
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe(address);
    await screenshot(page, 'operator-session-ended');
    await logIn(page, VIEWER, PASSWORD);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    expect(await page.getByLabel('Actor (email, key prefix or id)').inputValue()).toBe('paging-test');
    await page.getByTestId('audit-entry').first().waitFor();
    // A viewer sees the accounts read-only.
    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByText('Only an owner can invite or change operators.').waitFor();
    expect(await page.getByRole('button', { name: /^Disable/ }).count()).toBe(0);
    expect(viewer.errors.filter((e) => !e.includes('401'))).toEqual([]);
  });
});
