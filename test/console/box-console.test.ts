import { hashPassword } from '@paddock/vault';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LifecycleEnv, startLifecycleEnv } from '../lifecycle/support/lifecycle-env';
import { type ConsoleBrowser, launchConsoleBrowser, screenshot } from './support/browser';
import { publishReleaseCopy } from './support/publish-release-copy';

const OPERATOR = 'box-ops@example.com';
const VIEWER = 'box-viewer@example.com';
const PASSWORD = 'correct horse battery staple';

function audited(env: LifecycleEnv, actorLabel: string, action: string, targetId: string) {
  return env.prisma.auditLog.findFirstOrThrow({ where: { actorLabel, action, targetId } });
}

async function logIn(page: Page, path: string, email: string) {
  await page.goto(path);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

// An operator works a tenant's box from the console: finds it in the boxes list, deploys a release to it and re-pins
// its host key, on real API and worker processes and a real test box; a viewer sees the same page without actions
// and is refused by the API when it tries one anyway.
describe('a box in the operator console', () => {
  let env: LifecycleEnv;
  let browser: ConsoleBrowser;
  let url: string;
  let boxId: string;

  beforeAll(async () => {
    env = await startLifecycleEnv();
    // The console is built (when out of date) before the API starts: the API looks for the build once, at start.
    browser = await launchConsoleBrowser();
    url = (await env.startApi()).url;
    await env.startWorker('worker-box-console');
    const passwordHash = await hashPassword(PASSWORD);
    await env.prisma.user.create({
      data: { email: OPERATOR, role: 'operator', operatorRole: 'operator', passwordHash },
    });
    await env.prisma.user.create({ data: { email: VIEWER, role: 'operator', operatorRole: 'viewer', passwordHash } });
    const { tenantId } = await env.signUp('box-console');
    await env.waitForTenant(tenantId, 'active', 180_000);
    boxId = (await env.prisma.box.findFirstOrThrow({ where: { tenantId } })).id;
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  it('deploys a release to the box from its page and re-pins its host key, each audited', async () => {
    const box = await env.prisma.box.findUniqueOrThrow({ where: { id: boxId }, include: { currentRelease: true } });
    const first = box.currentRelease?.version ?? '';
    const version = await publishReleaseCopy(env);
    const { page, errors } = await browser.open(url);
    await logIn(page, '/console/boxes', OPERATOR);
    await page.getByRole('heading', { name: 'Boxes', exact: true }).waitFor();
    // Filtered on the server by the name's prefix; the row shows health and the pinned host key.
    await page.getByLabel('Name or address prefix').fill(box.name ?? '');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/q=/);
    const row = page.getByRole('row').filter({ hasText: box.name ?? '' });
    await row.getByText(box.hostKeyFingerprint ?? 'not pinned').waitFor();
    // Its health as the collector judged it (a loaded machine can make a beat late: unhealthy is a fair answer).
    await row.getByText(/^(ready|unhealthy)$/).waitFor();
    // Sorting is a header button with aria-sort (names start A to Z).
    await page.getByRole('button', { name: /^Name/ }).click();
    await page.waitForURL(/sort=name/);
    expect(await page.getByRole('columnheader', { name: /^Name/ }).getAttribute('aria-sort')).toBe('ascending');
    await page.getByRole('link', { name: box.name ?? '' }).click();
    await page.getByRole('heading', { name: `Box ${box.name}` }).waitFor();
    await screenshot(page, 'operator-box');

    await page.getByLabel('Release to deploy').selectOption(version);
    await page.getByRole('button', { name: 'Deploy…' }).click();
    const dialog = page.getByRole('dialog', { name: `Deploy ${version}?` });
    // The dialog opens on Cancel: Enter alone never confirms.
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page
      .getByTestId('box-deploy-state')
      .filter({ hasText: /^succeeded$/ })
      .waitFor({ timeout: 180_000 });
    await page.getByTestId('box-release').filter({ hasText: version }).waitFor();
    const deployRow = page.getByTestId('deploy-row').filter({ hasText: version });
    await deployRow.getByText('succeeded', { exact: true }).waitFor();
    await deployRow.getByText('Log tail').click();
    await deployRow
      .getByText(/@@step/)
      .first()
      .waitFor();

    const deploy = await env.prisma.deploy.findFirstOrThrow({
      where: { boxId, release: { version } },
      include: { rollout: true },
    });
    expect(deploy).toMatchObject({ kind: 'deploy', status: 'succeeded' });
    expect(deploy.rollout).toMatchObject({ status: 'succeeded', totalBoxes: 1 });
    const started = await env.prisma.auditLog.findFirstOrThrow({
      where: { actorLabel: OPERATOR, action: 'rollout.start', targetId: deploy.rolloutId ?? '' },
    });
    expect(JSON.stringify(started.details)).toContain(boxId);

    // Re-pin: the box must present the key; it does (its own), so the pin is confirmed and audited with the reason.
    await page.getByLabel('Reason', { exact: true }).fill('checked on the provider console');
    expect(await page.getByLabel('Host key to pin').inputValue()).toBe(box.hostKeyFingerprint);
    await page.getByRole('button', { name: 'Re-pin…' }).click();
    await page.getByRole('dialog', { name: 'Re-pin the host key?' }).getByRole('button', { name: 'Re-pin' }).click();
    await page.getByText(`Pinned ${box.hostKeyFingerprint}; box `).waitFor();
    const repinned = await env.prisma.auditLog.findFirstOrThrow({
      where: { actorLabel: OPERATOR, action: 'box.host_key.repinned', targetId: boxId },
    });
    expect(repinned.details).toMatchObject({ reason: 'checked on the provider console', unchanged: true });

    // Roll back: the box goes back to the release it ran before the deploy (kept on the box), as a Deploy row.
    const state = page.getByTestId('box-maintenance-state');
    await page.getByLabel('Reason for rollback or bootstrap').fill('the new release misbehaves');
    await page.getByRole('button', { name: 'Roll back…' }).click();
    await page.getByRole('dialog', { name: 'Roll this box back?' }).getByRole('button', { name: 'Roll back' }).click();
    await state.filter({ hasText: /^succeeded$/ }).waitFor({ timeout: 120_000 });
    await page
      .getByTestId('box-release')
      .filter({ hasText: new RegExp(`^${first.replace(/[.+]/g, '\\$&')}$`) })
      .waitFor();
    const rollback = await env.prisma.deploy.findFirstOrThrow({
      where: { boxId, kind: 'rollback' },
      include: { release: true, previousRelease: true },
    });
    expect(rollback).toMatchObject({ status: 'succeeded', requestedByUserId: expect.any(String) });
    expect(rollback.release.version).toBe(first);
    expect(rollback.previousRelease?.version).toBe(version);
    await page
      .getByTestId('deploy-row')
      .filter({ hasText: 'rollback' })
      .getByText('succeeded', { exact: true })
      .waitFor();
    const rolledBack = await audited(env, OPERATOR, 'box.rollback', boxId);
    expect(rolledBack.details).toMatchObject({ deployId: rollback.id, reason: 'the new release misbehaves' });

    // Bootstrap again: idempotent; the box records when, and what each step did.
    const bootstrappedBefore = (await env.prisma.box.findUniqueOrThrow({ where: { id: boxId } })).bootstrappedAt;
    await page.getByRole('button', { name: 'Re-bootstrap…' }).click();
    await page
      .getByRole('dialog', { name: 'Bootstrap this box again?' })
      .getByRole('button', { name: 'Bootstrap' })
      .click();
    // The page follows this job (not the rollback's, which also ended `succeeded`): its id is in the audit entry.
    await expect
      .poll(() => env.prisma.auditLog.count({ where: { action: 'box.rebootstrap', targetId: boxId } }))
      .toBe(1);
    const requested = await audited(env, OPERATOR, 'box.rebootstrap', boxId);
    const jobRecordId = (requested.details as { jobRecordId: string }).jobRecordId;
    await page
      .locator(`[data-job="${jobRecordId}"]`)
      .filter({ hasText: /^succeeded$/ })
      .waitFor({ timeout: 120_000 });
    const after = await env.prisma.box.findUniqueOrThrow({ where: { id: boxId } });
    // Its report says what ran (the box's status is left to the collector's health beat, not asserted here).
    expect((after.bootstrapReport as { steps: unknown[] }).steps.length).toBeGreaterThan(0);
    expect(after.bootstrappedAt?.getTime()).toBeGreaterThan(bootstrappedBefore?.getTime() ?? 0);
    expect(requested.details).toMatchObject({ reason: 'the new release misbehaves' });
    expect(errors).toEqual([]);
  }, 300_000);

  it("lists the jobs and workflows behind the box's life, with their state and attempts", async () => {
    const { page, errors } = await browser.open(url);
    await logIn(page, '/console/jobs', OPERATOR);
    await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
    await page.getByLabel('Job name').fill('box.rollback');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/name=box.rollback/);
    const jobRows = page.getByTestId('job-row');
    await jobRows.filter({ hasText: 'box.rollback' }).getByText('succeeded', { exact: true }).waitFor();
    expect(await jobRows.count()).toBe(1);
    const record = await env.prisma.jobRecord.findFirstOrThrow({ where: { name: 'box.rollback' } });
    await jobRows.getByText(`${record.attempts} of ${record.maxAttempts}`).waitFor();

    await page.getByRole('link', { name: 'Workflows' }).click();
    await page.getByLabel('Kind').selectOption('provision');
    await page.getByRole('button', { name: 'Filter' }).click();
    const workflow = page.getByTestId('workflow-row').filter({ hasText: 'provision' });
    await workflow.getByText('succeeded', { exact: true }).waitFor();
    // Nothing failed, so nothing offers a retry.
    expect(await page.getByRole('button', { name: /^Retry/ }).count()).toBe(0);
    expect(errors).toEqual([]);
  }, 120_000);

  it('shows a viewer the box without actions, and the API refuses the viewer a re-pin', async () => {
    const { page, errors } = await browser.open(url);
    await logIn(page, `/console/boxes/${boxId}`, VIEWER);
    await page.getByRole('heading', { name: 'Deploy history' }).waitFor();
    await page.getByTestId('deploy-row').first().waitFor();
    expect(await page.getByRole('button', { name: /Deploy|Re-pin|Roll back|Re-bootstrap/ }).count()).toBe(0);
    expect(await page.getByRole('form', { name: 'Deploy a release' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Rollouts' }).click();
    await page.getByRole('heading', { name: 'Recent rollouts' }).waitFor();
    expect(await page.getByRole('button', { name: 'Start rollout' }).count()).toBe(0);

    const before = await env.prisma.auditLog.count();
    const pin = (await env.prisma.box.findUniqueOrThrow({ where: { id: boxId } })).hostKeyFingerprint;
    // What a viewer could send by hand, with its own valid session and CSRF token.
    const reply = await page.evaluate(async (id) => {
      const session = (await (await fetch('/v1/operator/sessions/current')).json()) as { csrfToken: string };
      const response = await fetch(`/v1/operator/boxes/${id}/host-key`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ fingerprint: `SHA256:${'A'.repeat(43)}`, reason: 'a viewer tries' }),
      });
      return { status: response.status, body: (await response.json()) as { error: { code: string } } };
    }, boxId);
    expect(reply).toMatchObject({ status: 403, body: { error: { code: 'insufficient_role' } } });
    expect((await env.prisma.box.findUniqueOrThrow({ where: { id: boxId } })).hostKeyFingerprint).toBe(pin);
    expect(await env.prisma.auditLog.count()).toBe(before);
    // The refused request is the page's own console error ("Failed to load resource: 403"); nothing else is.
    expect(errors.filter((e) => !e.includes('403'))).toEqual([]);
  }, 120_000);
});
