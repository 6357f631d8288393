import { localGatewayConnector } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { createLocalRuntime, type LocalRuntime } from '../collect/support/local-runtime';
import { BoxSync, priceUsageModels, REVIEW_CHAIN, USAGE } from './runs-support';
import { type SignedUp, signUp, startTenantTestApp } from './support';
import { waitFor } from '../support/wait-for';

// Runs through the API against a real runtime (`chainctl daemon` + `chainctl serve --stdio` as local processes) and
// real Postgres; the collector's own ingestion turns the box's events into the rows the API reads.
let t: TestApp;
let runtime: LocalRuntime;
let sync: BoxSync;
let tenant: SignedUp;
let boxId: string;

const SLOW_CHAIN = 'name: slow\nagents:\n  wait:\n    run: sleep 30\n';
const FILES_CHAIN = 'name: prompted\nagents:\n  a:\n    run: cat\n    prompt: prompts/a.md\n';

beforeAll(async () => {
  runtime = createLocalRuntime('api-runs-');
  await runtime.startDaemon();
  t = await startTenantTestApp({ boxConnector: () => localGatewayConnector(() => runtime.serve) });
  sync = new BoxSync(t, t.boxes);
  tenant = await signUp(t.app, 'runs');
  await priceUsageModels(t.prisma);
  boxId = (await t.prisma.box.create({ data: { tenantId: tenant.tenantId, provider: 'local', status: 'ready' } })).id;
  await sync.claim(boxId, tenant.tenantId);
  for (const definition of [REVIEW_CHAIN, SLOW_CHAIN]) {
    const reply = await t.app.inject({
      method: 'POST',
      url: '/v1/chains',
      headers: tenant.headers,
      payload: { definition },
    });
    expect(reply.statusCode).toBe(201);
  }
  const withFiles = await t.app.inject({
    method: 'POST',
    url: '/v1/chains',
    headers: tenant.headers,
    payload: { definition: FILES_CHAIN, files: { 'prompts/a.md': 'hello' } },
  });
  expect(withFiles.statusCode).toBe(201);
}, 60_000);

afterAll(async () => {
  await sync?.close();
  await t?.close();
  await runtime?.cleanup();
});

const get = (url: string) => t.app.inject({ method: 'GET', url, headers: tenant.headers });
const post = (url: string, payload?: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url, headers: tenant.headers, ...(payload ? { payload } : {}) });
const until = <T>(what: string, check: () => Promise<T | undefined | false>) =>
  sync.until(what, boxId, tenant.tenantId, check);

async function startReview(topic: string): Promise<string> {
  const reply = await post('/v1/runs', { chain: 'review', inputs: { topic } });
  expect(reply.statusCode).toBe(201);
  return reply.json().id as string;
}

async function pendingDecisionOf(runId: string) {
  return until(`a pending decision of ${runId}`, async () => {
    const list = await get(`/v1/decisions?status=pending&runId=${runId}`);
    expect(list.statusCode).toBe(200);
    return list.json().decisions[0] as
      | {
          id: string;
          step: string;
          output: { text: string; truncated: boolean } | null;
          options: string[];
          deadline: string | null;
        }
      | undefined;
  });
}

async function runWhen(runId: string, status: string) {
  return until(`run ${runId} ${status}`, async () => {
    const run = (await get(`/v1/runs/${runId}`)).json();
    return run.status === status ? run : undefined;
  });
}

describe('runs and decisions through the API on a real runtime', () => {
  it('starts a run, shows its pending decision with the draft, approves it and the run completes with its costs', async () => {
    const runId = await startReview('otters');
    const row = await t.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    expect(row).toMatchObject({ tenantId: tenant.tenantId, boxId, runtimeRunId: runId, inputs: { topic: 'otters' } });

    const decision = await pendingDecisionOf(runId);
    expect(decision).toMatchObject({ step: 'review', options: ['approve', 'reject', 'request_changes'] });
    expect(decision.output).toMatchObject({ text: 'draft about otters\n', truncated: false });
    const waiting = (await get(`/v1/runs/${runId}`)).json();
    expect(waiting.status).toBe('waiting_decision');
    expect(waiting.pendingDecisionIds).toEqual([decision.id]);

    const auditBefore = await t.prisma.auditLog.count({ where: { tenantId: tenant.tenantId } });
    const approved = await post(`/v1/decisions/${decision.id}`, { choice: 'approve', note: 'ship it' });
    expect(approved.statusCode).toBe(200);
    const body = approved.json();
    expect(body).toMatchObject({
      status: 'approved',
      note: 'ship it',
      decidedBy: { label: expect.stringMatching(/@example\.com$/) },
    });
    expect(body.decidedAt).toEqual(expect.any(String));
    expect(body.deliveredAt).toEqual(expect.any(String));
    // On the box, at the moment the API answered: the decision, with who made it.
    const { stdout } = await runtime.chainctl('status', runId, '--json');
    const review = JSON.parse(stdout).steps.find((s: { step: string }) => s.step === 'review');
    expect(review.decision).toMatchObject({ option: 'approve', by: body.decidedBy.label, note: 'ship it' });
    const stored = await t.prisma.decision.findUniqueOrThrow({ where: { id: decision.id } });
    expect(stored.decidedByApiKeyId).not.toBeNull();
    expect(stored.decidedByUserId).toBe(tenant.userId);
    expect(await t.prisma.auditLog.count({ where: { tenantId: tenant.tenantId, action: 'decision.approve' } })).toBe(1);

    // A second answer is refused and changes nothing, here or on the box.
    const again = await post(`/v1/decisions/${decision.id}`, { choice: 'reject' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('conflict');
    expect(await t.prisma.auditLog.count({ where: { tenantId: tenant.tenantId } })).toBe(auditBefore + 1);

    const done = await runWhen(runId, 'succeeded');
    expect(done.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).toEqual([
      'draft:succeeded',
      'review:succeeded',
      'publish:succeeded',
    ]);
    expect(done).toMatchObject({ tokensIn: 30, tokensOut: 3, costMicros: '3000', costMinor: 0 });
    expect(done.durationMs).toEqual(expect.any(Number));
    expect(done.steps[0]).toMatchObject({ model: 'm-1', tokensIn: 10, tokensOut: 1, costMicros: '1000' });
    const after = await t.prisma.decision.findUniqueOrThrow({ where: { id: decision.id } });
    expect(after).toMatchObject({ status: 'approved', note: 'ship it', decidedByUserId: tenant.userId });

    // Events, a page at a time, in seq order, ending with the run's end.
    const first = (await get(`/v1/runs/${runId}/events?limit=3`)).json();
    expect(first.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3]);
    expect(first.nextAfter).toBe(3);
    const rest = (await get(`/v1/runs/${runId}/events?after=3&limit=1000`)).json();
    expect(rest.nextAfter).toBeNull();
    const kinds = [...first.events, ...rest.events].map((e: { step: string; kind: string }) => `${e.step}.${e.kind}`);
    expect(kinds[0]).toBe('_run.created');
    expect(kinds).toContain('review.decided');
    expect(kinds.at(-1)).toBe('_run.finished');

    // A step's output from the box, whole or cut at maxBytes.
    const output = await get(`/v1/runs/${runId}/steps/draft/output`);
    expect(output.statusCode).toBe(200);
    expect(output.headers['content-type']).toMatch(/^text\/plain/);
    expect(output.body).toBe('draft about otters\n');
    expect(output.headers['x-output-truncated']).toBe('false');
    const cut = await get(`/v1/runs/${runId}/steps/draft/output?maxBytes=5`);
    expect(cut.body).toBe('draft');
    expect(cut.headers).toMatchObject({ 'x-output-bytes': '19', 'x-output-truncated': 'true' });
    expect((await get(`/v1/runs/${runId}/steps/nosuch/output`)).statusCode).toBe(404);

    // Replay from the last step: the box runs it again under the same run.
    const replay = await post(`/v1/runs/${runId}/replay`, { from: 'publish' });
    expect(replay.statusCode).toBe(202);
    expect(replay.json().event).toMatchObject({ kind: 'replayed', step: '_run' });
    const replayed = await until('the replay to finish', async () => {
      const events = (await get(`/v1/runs/${runId}/events?limit=1000`)).json().events as { kind: string }[];
      const run = (await get(`/v1/runs/${runId}`)).json();
      return run.status === 'succeeded' && events.filter((e) => e.kind === 'finished').length === 2 ? run : undefined;
    });
    expect(replayed.tokensIn).toBe(50);
    expect((await post(`/v1/runs/${runId}/replay`, { from: 'nosuch' })).statusCode).toBe(404);
  }, 180_000);

  it('rejects: the run stops as failed with who rejected it', async () => {
    const runId = await startReview('badgers');
    const decision = await pendingDecisionOf(runId);
    const reply = await post(`/v1/decisions/${decision.id}`, { choice: 'reject', note: 'off topic' });
    expect(reply.statusCode).toBe(200);
    const run = await runWhen(runId, 'failed');
    expect(run.error).toMatch(/^rejected at review by .*@example\.com$/);
    expect(run.steps.find((s: { name: string }) => s.name === 'publish')?.status ?? 'pending').not.toBe('succeeded');
  });

  it('takes one of two answers sent at once; the other is a 409 and the box records only the first', async () => {
    const runId = await startReview('stoats');
    const decision = await pendingDecisionOf(runId);
    const replies = await Promise.all([
      post(`/v1/decisions/${decision.id}`, { choice: 'approve', note: 'first' }),
      post(`/v1/decisions/${decision.id}`, { choice: 'reject', note: 'second' }),
    ]);
    expect(replies.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const winner = replies.find((r) => r.statusCode === 200)?.json();
    const loser = replies.find((r) => r.statusCode === 409)?.json();
    expect(loser.error.code).toBe('conflict');
    const { stdout } = await runtime.chainctl('status', runId, '--json');
    const review = JSON.parse(stdout).steps.find((s: { step: string }) => s.step === 'review');
    expect(review.decision).toMatchObject({ option: winner.status === 'approved' ? 'approve' : 'reject' });
    const stored = await t.prisma.decision.findUniqueOrThrow({ where: { id: decision.id } });
    expect(stored).toMatchObject({ status: winner.status, note: winner.note });
    expect(stored.subject).not.toHaveProperty('claim');
    const audits = await t.prisma.auditLog.count({
      where: { tenantId: tenant.tenantId, targetId: decision.id, action: { startsWith: 'decision.' } },
    });
    expect(audits).toBe(1);
  });

  it('requests changes: the draft runs again and a new decision waits', async () => {
    const runId = await startReview('voles');
    const first = await pendingDecisionOf(runId);
    const reply = await post(`/v1/decisions/${first.id}`, { choice: 'request_changes', note: 'more voles' });
    expect(reply.statusCode).toBe(200);
    expect(reply.json().status).toBe('changes_requested');
    const second = await until('a second decision', async () => {
      const list = (await get(`/v1/decisions?runId=${runId}`)).json().decisions as { id: string }[];
      return list.find((d) => d.id !== first.id);
    });
    expect((await post(`/v1/decisions/${second.id}`, { choice: 'approve' })).statusCode).toBe(200);
    const run = await runWhen(runId, 'succeeded');
    // One draft step, run twice: both attempts kept, the second current.
    const drafts = run.steps.filter((s: { name: string }) => s.name === 'draft');
    expect(drafts).toHaveLength(1);
    expect(drafts[0].attempts.map((a: { attempt: number; current: boolean }) => [a.attempt, a.current])).toEqual([
      [1, false],
      [2, true],
    ]);
    const decided = await t.prisma.decision.findMany({ where: { runId }, orderBy: { createdAt: 'asc' } });
    expect(decided.map((d) => d.status)).toEqual(['changes_requested', 'approved']);
  });

  it('cancels a running run, and refuses a decision whose deadline passed', async () => {
    const started = await post('/v1/runs', { chain: 'slow' });
    expect(started.statusCode).toBe(201);
    const runId = started.json().id as string;
    await runWhen(runId, 'running');
    const cancel = await post(`/v1/runs/${runId}/cancel`);
    expect(cancel.statusCode).toBe(202);
    await runWhen(runId, 'canceled');

    const timed = `name: timed\nagents:\n  a:\n    run: ${USAGE(1)}\n  gate:\n    needs: [a]\n    decision: { prompt: Go?, timeout: 1s, on_timeout: reject }\n`;
    expect((await post('/v1/chains', { definition: timed })).statusCode).toBe(201);
    const run = await post('/v1/runs', { chain: 'timed' });
    const decision = await pendingDecisionOf(run.json().id);
    // The API judges by the decision's deadline: wait until the clock is past it (not a guessed sleep).
    const deadline = Date.parse(decision.deadline ?? '');
    expect(Number.isFinite(deadline)).toBe(true);
    await waitFor('the decision deadline to pass', () => Date.now() > deadline);
    const late = await post(`/v1/decisions/${decision.id}`, { choice: 'approve' });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.message).toMatch(/timed out/);
    const row = await t.prisma.decision.findUniqueOrThrow({ where: { id: decision.id } });
    expect(row.decidedByApiKeyId).toBeNull();
  });

  it("streams a run's events as Server-Sent Events until the run has ended", async () => {
    const short = 'name: short\nagents:\n  a:\n    run: echo a\n  b:\n    needs: [a]\n    run: echo b\n';
    expect((await post('/v1/chains', { definition: short })).statusCode).toBe(201);
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const runId = (await post('/v1/runs', { chain: 'short' })).json().id as string;
    const response = await fetch(`${address}/v1/runs/${runId}/events?follow=true`, { headers: tenant.headers });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // The collector's part, meanwhile: events land in Postgres and the stream pushes them.
    let streaming = true;
    const collecting = (async () => {
      while (streaming) {
        await sync.sync(boxId, tenant.tenantId);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const text = await response.text();
    streaming = false;
    await collecting;
    const blocks = text.split('\n\n').filter((b) => b.trim() !== '');
    const events = blocks
      .filter((b) => b.includes('event: run_event'))
      .map((b) =>
        JSON.parse(
          b
            .split('\n')
            .find((l) => l.startsWith('data: '))
            ?.slice(6) ?? '{}',
        ),
      );
    expect(events.map((e: { seq: number }) => e.seq)).toEqual(events.map((_: unknown, i: number) => i + 1));
    expect(`${events[0].step}.${events[0].kind}`).toBe('_run.created');
    expect(`${events.at(-1).step}.${events.at(-1).kind}`).toBe('_run.finished');
    expect(blocks.at(-1)).toContain('event: end');
    const stored = (await get(`/v1/runs/${runId}/events?limit=1000`)).json().events;
    expect(events).toEqual(stored);
  }, 120_000);

  it('lists runs newest first with filters and cursor pages', async () => {
    const all = (await get('/v1/runs?limit=200')).json().runs as {
      id: string;
      status: string;
      chain: { name: string };
    }[];
    // Every run the tests above started, as stored for this tenant.
    const stored = await t.prisma.run.count({ where: { tenantId: tenant.tenantId } });
    expect(stored).toBeGreaterThanOrEqual(6);
    expect(all).toHaveLength(stored);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { runs: { id: string }[]; nextCursor: string | null } = (
        await get(`/v1/runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      pages.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toEqual(all.map((r) => r.id));
    const canceled = (await get('/v1/runs?status=canceled')).json().runs;
    expect((await get('/v1/runs?status=succeeded&chain=short')).json().runs).toHaveLength(1);
    expect(canceled.map((r: { chain: { name: string } }) => r.chain.name)).toEqual(['slow']);
    const reviews = (await get('/v1/runs?chain=review')).json().runs;
    expect(reviews).toHaveLength(all.filter((r) => r.chain.name === 'review').length);
    expect((await get(`/v1/runs?since=${new Date(Date.now() + 60_000).toISOString()}`)).json().runs).toEqual([]);
    expect((await get('/v1/runs?cursor=bm9wZQ')).statusCode).toBe(400);
  });

  it('refuses what it cannot run, writing nothing', async () => {
    const before = await t.prisma.run.count();
    const unknown = await post('/v1/runs', { chain: 'nosuch' });
    expect(unknown.statusCode).toBe(404);
    const both = await post('/v1/runs', { chain: 'review', chainVersionId: crypto.randomUUID() });
    expect(both.statusCode).toBe(400);
    const files = await post('/v1/runs', { chain: 'prompted' });
    expect(files.statusCode).toBe(409);
    expect(files.json().error.message).toMatch(/not on the box yet/);
    const badInput = await post('/v1/runs', { chain: 'review', inputs: { '../x': 'y' } });
    expect(badInput.statusCode).toBe(400);
    // A tenant without a box yet.
    const other = await signUp(t.app, 'boxless');
    await t.app.inject({
      method: 'POST',
      url: '/v1/chains',
      headers: other.headers,
      payload: { definition: SLOW_CHAIN },
    });
    const boxless = await t.app.inject({
      method: 'POST',
      url: '/v1/runs',
      headers: other.headers,
      payload: { chain: 'slow' },
    });
    expect(boxless.statusCode).toBe(409);
    expect(await t.prisma.run.count()).toBe(before);
  });
});
