import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LifecycleEnv, startLifecycleEnv } from '../lifecycle/support/lifecycle-env';
import { waitFor } from '../support/wait-for';
import { priceUsageModels, REVIEW_CHAIN } from '../tenant/runs-support';

// The product's main path with nothing in-process: the API and the worker run as their own processes, as in
// production, on real Postgres and Redis; the tenant's box is a real sshd test box that provisioning made,
// bootstrapped and deployed; the worker's collector streams the box's events into Postgres; the test only speaks
// HTTP to the API (and reads Postgres to check what was stored).
let env: LifecycleEnv;
let api: string;
let headers: Record<string, string>;
let tenantId: string;

interface RunDetail {
  id: string;
  status: string;
  error: string | null;
  tokensIn: number;
  tokensOut: number;
  costMicros: string;
  steps: { name: string; status: string; attempt: number }[];
}

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field by the assertions that read them
type Answer = any;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Answer }> {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

async function pendingDecision(runId: string, after?: string): Promise<{ id: string; output: { text: string } }> {
  return waitFor(
    `a pending decision of run ${runId}`,
    async () => {
      const list = await call('GET', `/v1/decisions?runId=${runId}`);
      expect(list.status).toBe(200);
      return list.json.decisions.find((d: { id: string }) => d.id !== after);
    },
    60_000,
  );
}

async function runEnded(runId: string): Promise<RunDetail> {
  return waitFor(
    `run ${runId} to end`,
    async () => {
      const run = (await call('GET', `/v1/runs/${runId}`)).json as RunDetail;
      return ['succeeded', 'failed', 'canceled'].includes(run.status) ? run : undefined;
    },
    60_000,
  );
}

async function startReview(topic: string): Promise<string> {
  const started = await call('POST', '/v1/runs', { chain: 'review', inputs: { topic } });
  expect(started.status).toBe(201);
  return started.json.id;
}

beforeAll(async () => {
  env = await startLifecycleEnv();
  // The operator's price book: the usage the chain reports is charged at these prices (3,000 micros a run).
  await priceUsageModels(env.prisma);
  await env.startWorker('journey-worker', { COLLECTOR_LEASE_MS: '3000' });
  ({ url: api } = await env.startApi());
  const unique = randomUUID().slice(0, 8);
  const signup = await fetch(`${api}/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({
      email: `journey-${unique}@example.com`,
      workspaceName: `Journey ${unique}`,
      plan: 'starter',
    }),
  });
  expect(signup.status).toBe(202);
  const answer = (await signup.json()) as { tenant: { id: string; status: string }; apiKey: { key: string } };
  expect(answer.tenant.status).toBe('provisioning');
  tenantId = answer.tenant.id;
  headers = { authorization: `Bearer ${answer.apiKey.key}` };
  await env.waitForTenant(tenantId, 'active', 180_000);
  const upload = await call('POST', '/v1/chains', { definition: REVIEW_CHAIN });
  expect(upload.status).toBe(201);
}, 300_000);

afterAll(async () => {
  await env?.close();
});

describe('a tenant from signup to results, over real processes and a real box', () => {
  it('approve: the decision appears through the API, the approval reaches the box, tokens and cost land in Postgres', async () => {
    const runId = await startReview('herons');
    const decision = await pendingDecision(runId);
    expect(decision.output.text).toBe('draft about herons\n');
    const approved = await call('POST', `/v1/decisions/${decision.id}`, { choice: 'approve', note: 'ship it' });
    expect(approved.status).toBe(200);

    const run = await runEnded(runId);
    expect(run).toMatchObject({ status: 'succeeded', tokensIn: 30, tokensOut: 3, costMicros: '3000' });
    expect(run.steps.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ['draft', 'succeeded'],
      ['review', 'succeeded'],
      ['publish', 'succeeded'],
    ]);
    const stored = await env.prisma.decision.findUniqueOrThrow({ where: { id: decision.id } });
    expect(stored).toMatchObject({ status: 'approved', note: 'ship it' });
    expect(stored.decidedAt).toBeInstanceOf(Date);

    // Every event of the run exactly once, in seq order, as the collector stored it.
    const events = await env.prisma.usageEvent.findMany({ where: { runId }, orderBy: { seq: 'asc' } });
    const seqs = events.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['started', 'complete', 'decision_pending']));
    const tokens = events.reduce((sum, e) => sum + e.tokensIn, 0);
    expect(tokens).toBe(30);
    const page = await call('GET', `/v1/runs/${runId}/events`);
    expect(page.status).toBe(200);
    expect(page.json.events.map((e: { seq: number }) => e.seq)).toEqual(seqs);

    const usage = await call('GET', '/v1/usage?groupBy=model');
    expect(usage.status).toBe(200);
    const models = Object.fromEntries(
      usage.json.groups.map((g: { key: string; tokensIn: number }) => [g.key, g.tokensIn]),
    );
    expect(models).toMatchObject({ 'm-1': 10, 'm-2': 20 });
  }, 120_000);

  it('reject: the run stops as failed and says who rejected it', async () => {
    const runId = await startReview('sparrows');
    const decision = await pendingDecision(runId);
    expect((await call('POST', `/v1/decisions/${decision.id}`, { choice: 'reject', note: 'off topic' })).status).toBe(
      200,
    );
    const run = await runEnded(runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^rejected at review by /);
    expect(run.steps.find((s: { name: string }) => s.name === 'publish')?.status ?? 'pending').not.toBe('succeeded');
  }, 120_000);

  it('request_changes: the draft runs again with the note, a new decision is asked, then the run completes', async () => {
    const runId = await startReview('voles');
    const first = await pendingDecision(runId);
    const changes = await call('POST', `/v1/decisions/${first.id}`, { choice: 'request_changes', note: 'more voles' });
    expect(changes.status).toBe(200);
    const second = await pendingDecision(runId, first.id);
    expect(second.id).not.toBe(first.id);
    expect((await call('POST', `/v1/decisions/${second.id}`, { choice: 'approve' })).status).toBe(200);
    const run = await runEnded(runId);
    expect(run.status).toBe('succeeded');
    // The draft ran twice (the note was its extra input), so its tokens count twice: 2 x 10 + 20.
    expect(run.tokensIn).toBe(40);
    const decided = await env.prisma.decision.findMany({ where: { runId }, orderBy: { createdAt: 'asc' } });
    expect(decided.map((d) => d.status)).toEqual(['changes_requested', 'approved']);
    expect(decided[0]?.note).toBe('more voles');
  }, 120_000);

  it('replay from a step re-runs it on the box and its tokens are counted once more, not twice more', async () => {
    const runId = await startReview('wrens');
    const decision = await pendingDecision(runId);
    expect((await call('POST', `/v1/decisions/${decision.id}`, { choice: 'approve' })).status).toBe(200);
    expect((await runEnded(runId)).tokensIn).toBe(30);
    const replay = await call('POST', `/v1/runs/${runId}/replay`, { from: 'publish' });
    expect(replay.status).toBe(202);
    const replayed = await waitFor(
      'the replayed step to be counted',
      async () => {
        const run = (await call('GET', `/v1/runs/${runId}`)).json;
        return run.status === 'succeeded' && run.tokensIn > 30 ? run : undefined;
      },
      60_000,
    );
    expect(replayed.tokensIn).toBe(50);
  }, 120_000);

  it('a chain with a prompt file reaches the box through the worker, becomes active and runs from its synced copy', async () => {
    const definition =
      'name: briefed\nagents:\n  write:\n    run: cat "$CHAIN_PROMPT_FILE"\n    prompt: prompts/brief.md\n';
    const brief = 'Write about kingfishers.\n';
    const upload = await call('POST', '/v1/chains', { definition, files: { 'prompts/brief.md': brief } });
    expect(upload.status).toBe(201);
    const versionId = upload.json.version.id as string;
    // chain.sync writes it to the box, then (no reference inputs) it becomes the active version.
    await waitFor(
      'the new chain version to be active',
      async () => {
        const row = await env.prisma.chainVersion.findUniqueOrThrow({ where: { id: versionId } });
        return row.status === 'active' && row.syncedAt !== null;
      },
      60_000,
    );
    const started = await call('POST', '/v1/runs', { chain: 'briefed' });
    expect(started.status).toBe(201);
    const run = await runEnded(started.json.id);
    expect(run.status).toBe('succeeded');
    const output = await fetch(`${api}/v1/runs/${run.id}/steps/write/output`, { headers });
    expect(await output.text()).toBe(brief);
    expect((await env.prisma.run.findUniqueOrThrow({ where: { id: run.id } })).chainVersionId).toBe(versionId);
  }, 120_000);

  it("another tenant's key sees none of it", async () => {
    const unique = randomUUID().slice(0, 8);
    const other = await fetch(`${api}/v1/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ email: `other-${unique}@example.com`, workspaceName: `Other ${unique}`, plan: 'starter' }),
    });
    const key = ((await other.json()) as { apiKey: { key: string } }).apiKey.key;
    const mine = await env.prisma.run.findFirstOrThrow({ where: { tenantId } });
    const foreign = await fetch(`${api}/v1/runs/${mine.id}`, { headers: { authorization: `Bearer ${key}` } });
    expect(foreign.status).toBe(404);
    const list = (await (await fetch(`${api}/v1/runs`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
      runs: unknown[];
    };
    expect(list.runs).toEqual([]);
  }, 60_000);
});
