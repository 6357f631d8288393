import { hashPassword } from '@paddock/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LifecycleEnv, startLifecycleEnv } from '../lifecycle/support/lifecycle-env';
import { type ConsoleBrowser, launchConsoleBrowser, screenshot } from './support/browser';
import { publishReleaseCopy } from './support/publish-release-copy';

const EMAIL = 'rollout-ops@example.com';
const PASSWORD = 'correct horse battery staple';

// An operator starts a rollout from the console and watches it live (the rollout's SSE stream) to its end, on real
// worker and API processes and real test boxes.
describe('rollout watched in the console', () => {
  let env: LifecycleEnv;
  let browser: ConsoleBrowser;
  let url: string;
  const tenants: string[] = [];

  beforeAll(async () => {
    env = await startLifecycleEnv();
    // The console is built (when out of date) before the API starts: the API looks for the build once, at start.
    browser = await launchConsoleBrowser();
    url = (await env.startApi()).url;
    await env.startWorker('worker-rollout');
    await env.prisma.user.create({
      data: { email: EMAIL, role: 'operator', operatorRole: 'operator', passwordHash: await hashPassword(PASSWORD) },
    });
    for (let i = 0; i < 2; i++) tenants.push((await env.signUp('rollout')).tenantId);
    for (const tenantId of tenants) await env.waitForTenant(tenantId, 'active', 180_000);
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  it('starts a rollout on the test boxes and watches every box move to the new release', async () => {
    const version = await publishReleaseCopy(env);
    const { page, errors } = await browser.open(url);
    await page.goto('/console/rollouts');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Rollouts', exact: true }).waitFor();
    await page.getByLabel('Release').selectOption(version);
    await page.getByLabel('Canary boxes').fill('1');
    await page.getByLabel('Batch size').fill('2');
    await page.getByRole('button', { name: 'Start rollout' }).click();
    const status = page.getByTestId('rollout-status');
    await status.filter({ hasText: /^succeeded: 2\/2 boxes succeeded/ }).waitFor({ timeout: 180_000 });
    // The list of recent rollouts follows the live one too.
    await page.locator('tbody tr[aria-current="true"]').getByRole('cell', { name: 'succeeded', exact: true }).waitFor();
    await screenshot(page, 'operator-rollout');

    const rollout = await env.prisma.rollout.findFirstOrThrow({ include: { release: true, boxes: true } });
    expect(rollout).toMatchObject({ status: 'succeeded', totalBoxes: 2, succeededBoxes: 2, failedBoxes: 0 });
    expect(rollout.release.version).toBe(version);
    expect(rollout.boxes.map((b) => b.status)).toEqual(['succeeded', 'succeeded']);
    const audit = await env.prisma.auditLog.findMany({
      where: { actorLabel: EMAIL, action: { startsWith: 'rollout.' } },
    });
    expect(audit.map((a) => a.action)).toContain('rollout.start');
    expect(errors).toEqual([]);
  }, 300_000);
});
