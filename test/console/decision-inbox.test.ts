import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LifecycleEnv, startLifecycleEnv } from '../lifecycle/support/lifecycle-env';
import { waitFor } from '../support/wait-for';
import { REVIEW_CHAIN } from '../tenant/runs-support';
import { type ConsoleBrowser, launchConsoleBrowser, screenshot } from './support/browser';

// A workspace member clears the decision inbox by keyboard in Debian's Chromium, against the real API and worker
// processes and the workspace's real test box: each answer reaches the box and its run goes on there. On the team
// plan: three runs wait for a decision at once (the starter plan allows two).
describe('decision inbox in a browser', () => {
  let env: LifecycleEnv;
  let browser: ConsoleBrowser;
  let url: string;
  let apiKey: string;
  const email = `inbox-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'correct horse battery staple';

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }
  async function startReview(topic: string): Promise<string> {
    const started = await call('POST', '/v1/runs', { chain: 'review', inputs: { topic } });
    expect(started.status, JSON.stringify(started.json)).toBe(201);
    return String(started.json.id);
  }
  const pendingDecisions = (runId: string) =>
    env.prisma.decision.count({ where: { runId, status: 'pending' } }).then((n) => n > 0);

  beforeAll(async () => {
    env = await startLifecycleEnv();
    // One at a time: each process compiles the whole app at start, and on a loaded 2-core machine three at once
    // starve each other past their start timeouts.
    // The console is built (when out of date) before the API starts: the API looks for the build once, at start.
    browser = await launchConsoleBrowser();
    url = (await env.startApi()).url;
    await env.startWorker('worker-inbox', { COLLECTOR_LEASE_MS: '3000' });
    const signup = await fetch(`${url}/v1/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ email, password, workspaceName: 'Inbox test', plan: 'team' }),
    });
    expect(signup.status).toBe(202);
    const answer = (await signup.json()) as { tenant: { id: string }; apiKey: { key: string } };
    apiKey = answer.apiKey.key;
    await env.waitForTenant(answer.tenant.id, 'active', 180_000);
    expect((await call('POST', '/v1/chains', { definition: REVIEW_CHAIN })).status).toBe(201);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  /** Waits until the card on screen shows this draft and takes answers, then answers it with these keys. */
  async function answer(page: Page, topic: string, keys: () => Promise<void>) {
    const card = page.getByTestId('decision-card');
    await card.getByText(`draft about ${topic}`).waitFor({ timeout: 60_000 });
    await expect.poll(() => card.getByRole('button', { name: /^Approve/ }).isEnabled()).toBe(true);
    await keys();
  }

  it('clears a queue of cards by keyboard, new cards arriving live, and each run goes on on its box', async () => {
    const herons = await startReview('herons');
    const voles = await startReview('voles');
    await waitFor(
      'two pending decisions',
      async () => (await pendingDecisions(herons)) && pendingDecisions(voles),
      60_000,
    );

    const { page, errors } = await browser.open(url);
    await page.goto('/console/app');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.keyboard.press('Enter');
    const summary = page.getByTestId('inbox-summary');
    await summary.filter({ hasText: /^2 waiting/ }).waitFor();
    // A decision asked while the inbox is open joins the queue without a reload.
    const sparrows = await startReview('sparrows');
    await summary.filter({ hasText: /^3 waiting/ }).waitFor({ timeout: 60_000 });
    await screenshot(page, 'workspace-inbox');

    // Oldest first. A approves; N writes a note, Escape leaves it, C requests changes; R rejects.
    await answer(page, 'herons', () => page.keyboard.press('a'));
    await answer(page, 'voles', async () => {
      await page.keyboard.press('n');
      await page.keyboard.type('more about voles');
      await page.keyboard.press('Escape');
      await page.keyboard.press('c');
    });
    await answer(page, 'sparrows', () => page.keyboard.press('r'));
    // The changes asked for ran on the box: the new draft comes back as a new card, with the note as its input.
    await answer(page, 'voles', () => page.keyboard.press('a'));
    await summary.filter({ hasText: /^0 waiting · 4 decided/ }).waitFor({ timeout: 60_000 });

    const ended = async (runId: string) =>
      waitFor(
        `run ${runId} to end`,
        async () => {
          const run = await env.prisma.run.findUniqueOrThrow({ where: { id: runId } });
          return ['succeeded', 'failed', 'canceled'].includes(run.status) ? run : undefined;
        },
        60_000,
      );
    expect((await ended(herons)).status).toBe('succeeded');
    expect((await ended(voles)).status).toBe('succeeded');
    const rejected = await ended(sparrows);
    expect(rejected.status).toBe('failed');
    expect(rejected.error).toMatch(/^rejected at review by /);

    // Every answer names the person who gave it; the note reached the box with the request for changes.
    const decisions = await env.prisma.decision.findMany({
      where: { runId: { in: [herons, voles, sparrows] } },
      orderBy: { createdAt: 'asc' },
    });
    const user = await env.prisma.user.findFirstOrThrow({ where: { email } });
    expect(decisions.map((d) => [d.runId, d.status, d.decidedByUserId])).toEqual([
      [herons, 'approved', user.id],
      [voles, 'changes_requested', user.id],
      [sparrows, 'rejected', user.id],
      [voles, 'approved', user.id],
    ]);
    expect(decisions[1]?.note).toBe('more about voles');
    // Each answer is audited as the member's session (actor: the user's email), not as an API key.
    const audit = await env.prisma.auditLog.findMany({
      where: { targetType: 'decision', targetId: { in: decisions.map((d) => d.id) } },
    });
    const auditOf = new Map(audit.map((a) => [a.targetId, a]));
    expect(decisions.map((d) => [auditOf.get(d.id)?.action, auditOf.get(d.id)?.actorLabel])).toEqual([
      ['decision.approve', email],
      ['decision.request_changes', email],
      ['decision.reject', email],
      ['decision.approve', email],
    ]);
    // The publish step ran on the box for the approved runs (the projection of the box's events).
    const published = await env.prisma.runStep.findMany({ where: { runId: { in: [herons, voles] }, name: 'publish' } });
    expect(published.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
    expect(errors).toEqual([]);
  }, 240_000);
});
