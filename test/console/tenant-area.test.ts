import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LifecycleEnv, startLifecycleEnv } from '../lifecycle/support/lifecycle-env';
import { waitFor } from '../support/wait-for';
import { priceUsageModels, REVIEW_CHAIN, USAGE } from '../tenant/runs-support';
import { type ConsoleBrowser, launchConsoleBrowser, screenshot } from './support/browser';

// The workspace's own pages in Debian's Chromium, against the real API and worker processes, PostgreSQL and the
// workspace's real test box: a member starts a run from the console and watches it on its box (steps, outputs, the
// terminal live), replays a step, cancels a run; creates and revokes an API key; answers decisions by swipe; a viewer
// is shown no action; another workspace's run is a "not found" page. One API, one box and one browser for the file.
const GREET = `name: greet
agents:
  hello:
    run: ${USAGE(1)}; echo "hello $(cat)"
    input: { run_input: name }
  shout:
    needs: [hello]
    run: tr a-z A-Z
`;
// Prints a numbered line every few tenths of a second until cancelled: new lines arriving prove the terminal is live.
const TICKER = `name: ticker
agents:
  tick:
    run: 'i=0; while true; do i=$((i+1)); printf "\\033[32mtick %d\\033[0m\\n" "$i"; sleep 0.2; done'
`;

describe('the workspace area of the console', () => {
  let env: LifecycleEnv;
  let browser: ConsoleBrowser;
  let url: string;
  let apiKey: string;
  let tenantId: string;
  const email = `tenant-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'correct horse battery staple';

  async function call(method: string, path: string, body?: unknown, bearer = apiKey) {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  }

  /** A fresh browser context signed in to the workspace as `who`; its console errors are collected. */
  async function signIn(who: { email: string; password: string }, to = '/console/app') {
    const opened = await browser.open(url);
    await opened.page.goto(to);
    await opened.page.getByLabel('Email').fill(who.email);
    await opened.page.getByLabel('Password').fill(who.password);
    await opened.page.keyboard.press('Enter');
    await opened.page.getByRole('navigation', { name: 'Main' }).waitFor();
    return opened;
  }

  // The terminal's screen as xterm.js draws it (rows of the DOM renderer; non-breaking spaces read as spaces).
  const terminalText = async (page: Page) =>
    ((await page.getByTestId('terminal').locator('.xterm-rows').textContent()) ?? '').replace(/\u00a0/g, ' ');

  beforeAll(async () => {
    env = await startLifecycleEnv();
    // One at a time (each process compiles the app at start); the console is built before the API looks for it.
    browser = await launchConsoleBrowser();
    url = (await env.startApi()).url;
    await env.startWorker('worker-tenant-area', { COLLECTOR_LEASE_MS: '3000' });
    const signup = await fetch(`${url}/v1/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ email, password, workspaceName: 'Tenant area test', plan: 'team' }),
    });
    expect(signup.status).toBe(202);
    const answer = (await signup.json()) as { tenant: { id: string }; apiKey: { key: string } };
    apiKey = answer.apiKey.key;
    tenantId = answer.tenant.id;
    await env.waitForTenant(tenantId, 'active', 180_000);
    await priceUsageModels(env.prisma);
    for (const definition of [GREET, TICKER, REVIEW_CHAIN]) {
      const uploaded = await call('POST', '/v1/chains', { definition });
      expect(uploaded.status, JSON.stringify(uploaded.json)).toBe(201);
    }
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  let greetRunId: string;

  it('a member starts a run with an input, watches its steps finish with their outputs and terminals, and replays a step', async () => {
    const { page, errors } = await signIn({ email, password });
    await page.getByRole('link', { name: 'Runs' }).click();
    await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
    await page.getByLabel('Chain', { exact: true }).first().selectOption('greet');
    await page.getByLabel('Input name 1').fill('name');
    await page.getByLabel('Value 1').fill('herons');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/console\/app\/runs\/[0-9a-f-]{36}$/);
    greetRunId = page.url().split('/').at(-1) ?? '';

    // The graph follows the run on its box: both steps succeed, each with one attempt.
    const shout = page.getByTestId('step-shout');
    await shout.getByText('succeeded').waitFor({ timeout: 90_000 });
    await page.getByTestId('step-hello').getByText('succeeded').waitFor();
    await page.getByRole('heading', { level: 1 }).getByText('succeeded').waitFor({ timeout: 60_000 });
    await shout.getByRole('button').click();
    await page.getByTestId('step-output').filter({ hasText: 'HELLO HERONS' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => terminalText(page), { timeout: 30_000 }).toContain('HELLO HERONS');
    await page.getByTestId('run-events').getByText('complete', { exact: true }).first().waitFor();
    await screenshot(page, 'workspace-run');

    // Replay from shout: a second attempt appears and runs on the box; the first stays readable.
    await page.getByLabel('Replay from step').selectOption('shout');
    await page.getByRole('button', { name: 'Replay' }).click();
    await shout.getByText('2 attempts').waitFor({ timeout: 60_000 });
    await page.getByRole('heading', { level: 1 }).getByText('succeeded').waitFor({ timeout: 90_000 });
    await page.getByRole('button', { name: 'Attempt 2 (current)' }).waitFor();
    await page.getByTestId('run-events').getByText('replayed', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Attempt 1', exact: true }).click();
    await page.getByTestId('step-output').filter({ hasText: 'HELLO HERONS' }).waitFor({ timeout: 30_000 });

    const run = await env.prisma.run.findUniqueOrThrow({ where: { id: greetRunId } });
    const user = await env.prisma.user.findFirstOrThrow({ where: { email } });
    expect(run).toMatchObject({ tenantId, status: 'succeeded', inputs: { name: 'herons' }, startedByUserId: user.id });
    const attempts = await env.prisma.runStep.findMany({
      where: { runId: greetRunId, name: 'shout' },
      orderBy: { attempt: 'asc' },
    });
    expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 'succeeded'],
      [2, 'succeeded'],
    ]);
    const replayed = await env.prisma.auditLog.findMany({ where: { tenantId, targetId: greetRunId } });
    expect(replayed.map((a) => [a.action, a.actorLabel])).toContainEqual(['run.replay', email]);
    expect(errors).toEqual([]);
  }, 240_000);

  it("shows a running step's terminal live, and the member cancels the run", async () => {
    const started = await call('POST', '/v1/runs', { chain: 'ticker' });
    expect(started.status, JSON.stringify(started.json)).toBe(201);
    const runId = String(started.json.id);
    const { page, errors } = await signIn({ email, password }, `/console/app/runs/${runId}`);
    await page.getByTestId('step-tick').getByText('running').waitFor({ timeout: 90_000 });
    await expect.poll(() => terminalText(page), { timeout: 60_000 }).toMatch(/tick \d+/);
    // Lines written after the page opened reach it: the highest tick shown keeps rising.
    const highest = async () =>
      Math.max(...[...(await terminalText(page)).matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
    const first = await highest();
    await expect.poll(highest, { timeout: 30_000 }).toBeGreaterThan(first + 2);
    await expect(page.getByTestId('terminal-phase').textContent()).resolves.toBe('live');
    await screenshot(page, 'workspace-terminal');

    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Yes, cancel the run' }).click();
    await page.getByRole('heading', { level: 1 }).getByText('canceled').waitFor({ timeout: 60_000 });
    await page.getByTestId('terminal-phase').filter({ hasText: 'ended' }).waitFor({ timeout: 30_000 });
    const run = await env.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status).toBe('canceled');
    const audit = await env.prisma.auditLog.findMany({ where: { tenantId, targetId: runId } });
    expect(audit.map((a) => [a.action, a.actorLabel])).toContainEqual(['run.cancel', email]);
    expect(errors).toEqual([]);
  }, 180_000);

  it('creates an API key shown once, and revokes it: the revoked key gets 401 from the API', async () => {
    const { page, errors } = await signIn({ email, password });
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Name of the new key').fill('ci deploys');
    await page.getByRole('button', { name: 'Create key' }).click();
    const field = page.getByLabel('New API key');
    await field.waitFor();
    const key = await field.inputValue();
    expect(key).toMatch(/^pdk_live_[0-9a-f]{12}_/);
    expect((await call('GET', '/v1/runs', undefined, key)).status).toBe(200);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    // Once dismissed the key is gone from the page: only its prefix is listed.
    expect(await page.content()).not.toContain(key);
    const prefix = key.split('_').slice(0, 3).join('_');
    const row = page.getByTestId(`api-key-${prefix}`);
    await row.getByText('active').waitFor();
    await screenshot(page, 'workspace-api-keys');

    await row.getByRole('button', { name: /^Revoke/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await row.getByText(/^revoked /).waitFor();
    const refused = await call('GET', '/v1/runs', undefined, key);
    expect(refused.status).toBe(401);
    expect((refused.json.error as { code: string }).code).toBe('unauthenticated');
    const stored = await env.prisma.apiKey.findUniqueOrThrow({ where: { prefix } });
    expect(stored.revokedAt).not.toBeNull();
    const audit = await env.prisma.auditLog.findMany({ where: { targetId: stored.id }, orderBy: { createdAt: 'asc' } });
    expect(audit.map((a) => [a.action, a.actorLabel])).toEqual([
      ['api_key.create', email],
      ['api_key.revoke', email],
    ]);
    expect(errors).toEqual([]);
  }, 120_000);

  it('answers decisions by swipe: right approves, left rejects', async () => {
    const runs: string[] = [];
    for (const topic of ['wrens', 'moles']) {
      const started = await call('POST', '/v1/runs', { chain: 'review', inputs: { topic } });
      expect(started.status, JSON.stringify(started.json)).toBe(201);
      runs.push(String(started.json.id));
    }
    await waitFor(
      'both runs to wait for a decision',
      async () => (await env.prisma.decision.count({ where: { runId: { in: runs }, status: 'pending' } })) === 2,
      90_000,
    );
    const { page, errors } = await signIn({ email, password });
    const card = page.getByTestId('decision-card');
    const swipe = async (topic: string, dx: number) => {
      await card.getByText(`draft about ${topic}`).waitFor({ timeout: 60_000 });
      await expect.poll(() => card.getByRole('button', { name: /^Approve/ }).isEnabled()).toBe(true);
      const box = await card.getByRole('heading', { level: 2 }).boundingBox();
      if (!box) throw new Error('the card has no heading on screen');
      const y = box.y + box.height / 2;
      const x = box.x + box.width / 2;
      await page.mouse.move(x, y);
      await page.mouse.down();
      await page.mouse.move(x + dx / 2, y, { steps: 4 });
      await page.mouse.move(x + dx, y, { steps: 4 });
      await page.mouse.up();
    };
    await swipe('wrens', 300);
    await swipe('moles', -300);
    await page
      .getByTestId('inbox-summary')
      .filter({ hasText: /^0 waiting · 2 decided/ })
      .waitFor({ timeout: 30_000 });
    const decisions = await env.prisma.decision.findMany({ where: { runId: { in: runs } } });
    const byRun = new Map(decisions.map((d) => [d.runId, d.status]));
    expect([byRun.get(runs[0] ?? ''), byRun.get(runs[1] ?? '')]).toEqual(['approved', 'rejected']);
    expect(errors).toEqual([]);
  }, 180_000);

  it('shows chains with their versions and diffs, sets a secret by name, and charts usage and cost', async () => {
    const v2 = GREET.replace('run: tr a-z A-Z', 'run: tr a-z A-Z | rev');
    const uploaded = await call('POST', '/v1/chains', { definition: v2 });
    expect(uploaded.status, JSON.stringify(uploaded.json)).toBe(201);
    const { page, errors } = await signIn({ email, password });
    await page.getByRole('link', { name: 'Chains' }).click();
    await page.getByRole('link', { name: 'greet' }).click();
    await page.getByRole('heading', { name: 'Chain greet' }).waitFor();
    const diff = page.getByTestId('version-diff');
    await diff.getByRole('row').filter({ hasText: 'removed' }).filter({ hasText: 'run: tr a-z A-Z' }).waitFor();
    await diff.getByRole('row').filter({ hasText: 'added' }).filter({ hasText: 'run: tr a-z A-Z | rev' }).waitFor();
    await page.getByRole('button', { name: 'Staging of v1' }).click();
    await page.getByRole('heading', { name: 'Staging of v1' }).waitFor();
    await page.getByText('This version has no staging cases.').waitFor();
    await screenshot(page, 'workspace-chain-diff');

    await page.getByRole('link', { name: 'Secrets' }).click();
    await page.getByLabel('Name', { exact: true }).fill('DEPLOY_TOKEN');
    await page.getByLabel('Value').fill('s3cr3t-value-never-shown');
    await page.getByRole('button', { name: 'Save secret' }).click();
    await page.getByRole('cell', { name: 'DEPLOY_TOKEN', exact: true }).waitFor();
    expect(await page.content()).not.toContain('s3cr3t-value-never-shown');
    expect(await env.prisma.tenantSecret.count({ where: { tenantId, name: 'DEPLOY_TOKEN' } })).toBe(1);

    await page.getByRole('link', { name: 'Usage' }).click();
    // The greet runs reported usage on m-1 (10 tokens in each): the totals and both charts show it.
    await page
      .getByTestId('usage-totals')
      .filter({ hasText: /^[1-9]\d* tokens in/ })
      .waitFor({ timeout: 60_000 });
    expect(await page.locator('canvas[role="img"]').count()).toBe(2);
    await page.getByRole('table', { name: 'Charged by chain' }).getByRole('cell', { name: 'greet' }).waitFor();
    await screenshot(page, 'workspace-usage');
    await page.getByRole('link', { name: 'Invoices' }).click();
    await page.getByRole('heading', { name: 'Invoices' }).waitFor();
    await page.getByText('No invoices yet').waitFor();
    expect(errors).toEqual([]);
  }, 120_000);

  it('a viewer sees every page but no action, and the API refuses what a viewer tries anyway', async () => {
    const viewerEmail = `viewer-${randomUUID().slice(0, 8)}@example.com`;
    const invited = await call('POST', '/v1/members', { email: viewerEmail, role: 'viewer' });
    expect(invited.status).toBe(201);
    const token = (invited.json.invite as { token: string }).token;
    const viewerPassword = 'viewer passphrase here';
    const accepted = await fetch(`${url}/v1/members/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: viewerPassword }),
    });
    expect(accepted.status).toBe(200);
    const { page, errors } = await signIn({ email: viewerEmail, password: viewerPassword });

    await page.goto('/console/app/runs');
    await page.getByTestId('runs-table').getByRole('link').first().waitFor();
    expect(await page.getByRole('button', { name: 'Start run' }).count()).toBe(0);
    await page.goto(`/console/app/runs/${greetRunId}`);
    await page.getByTestId('step-shout').waitFor();
    await page.getByTestId('step-output').waitFor({ timeout: 30_000 });
    expect(await page.getByRole('button', { name: /^(Replay|Cancel run)$/ }).count()).toBe(0);
    const pages: [string, RegExp][] = [
      ['/console/app/api-keys', /^(Create key|Revoke)/],
      ['/console/app/secrets', /^(Save secret|Delete)/],
      ['/console/app/members', /^(Invite|Remove)/],
    ];
    for (const [path, actions] of pages) {
      await page.goto(path);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.getByRole('table').or(page.getByText('No secrets yet.')).first().waitFor();
      expect(await page.getByRole('button', { name: actions }).count(), path).toBe(0);
    }
    // The hidden buttons are not the protection: the viewer's own session is refused by the API.
    const session = await fetch(`${url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: viewerEmail, password: viewerPassword }),
    });
    const viewerToken = ((await session.json()) as { token: string }).token;
    const replay = await call('POST', `/v1/runs/${greetRunId}/replay`, { from: 'shout' }, viewerToken);
    expect(replay.status).toBe(403);
    const mint = await call('POST', '/v1/api-keys', { name: 'viewer key' }, viewerToken);
    expect(mint.status).toBe(403);
    expect(await env.prisma.runStep.count({ where: { runId: greetRunId, name: 'shout' } })).toBe(2);
    expect(await env.prisma.apiKey.count({ where: { tenantId, name: 'viewer key' } })).toBe(0);
    expect(errors).toEqual([]);
  }, 120_000);

  it("another workspace's run and chain are 'not found' pages", async () => {
    const plan = await env.prisma.plan.findFirstOrThrow();
    const other = await env.prisma.tenant.create({
      data: { slug: `other-${randomUUID().slice(0, 8)}`, name: 'Other workspace', status: 'active', planId: plan.id },
    });
    const chain = await env.prisma.chain.create({ data: { tenantId: other.id, name: 'secret-chain' } });
    const foreign = await env.prisma.run.create({
      data: { tenantId: other.id, chainId: chain.id, status: 'succeeded', inputs: { leak: 'nothing' } },
    });
    const { page, errors } = await signIn({ email, password }, `/console/app/runs/${foreign.id}`);
    await page.getByRole('heading', { name: 'Run not found' }).waitFor();
    expect(await page.content()).not.toContain('secret-chain');
    await page.goto(`/console/app/chains/${chain.id}`);
    await page.getByRole('heading', { name: 'Chain not found' }).waitFor();
    // The only errors are the browser's own notes of the two 404 answers.
    expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);
  }, 60_000);
});
