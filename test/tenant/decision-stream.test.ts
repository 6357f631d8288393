import type { RunEvent } from '@paddock/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestEvents } from '@paddock/services';
import type { TestApp } from '../../apps/api/src/test-app';
import { runEvents, seedBox, seedChain, seedCursor } from '../collect/support/seed';
import { SseReader } from '../support/sse-reader';
import { type SignedUp, signUp, startTenantTestApp } from './support';

// The stream of pending decisions, fed by the collector's real ingestion: each batch commits and the API is woken
// through Postgres NOTIFY (no polling between them), on a real HTTP connection.
const OWNER = 'decision-stream-test';
const PUSHED_WITHIN_MS = 8_000;
let t: TestApp;
let pool: pg.Pool;
let address: string;

interface Workspace {
  tenant: SignedUp;
  boxId: string;
  cursor: number;
}

beforeAll(async () => {
  t = await startTenantTestApp();
  pool = new pg.Pool({ connectionString: t.databaseUrl, max: 3 });
  address = await t.app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await t?.close();
});

async function workspace(label: string): Promise<Workspace> {
  const tenant = await signUp(t.app, label);
  const boxId = await seedBox(pool, tenant.tenantId);
  await seedChain(pool, tenant.tenantId, 'review');
  await seedCursor(pool, boxId, tenant.tenantId, OWNER);
  return { tenant, boxId, cursor: 0 };
}

/** What the collector does with a batch from the box. */
async function collect(w: Workspace, events: RunEvent[]): Promise<void> {
  const from = w.cursor === 0 ? '' : `c${w.cursor}`;
  w.cursor += events.length;
  await ingestEvents(
    { pg: pool },
    {
      boxId: w.boxId,
      tenantId: w.tenant.tenantId,
      ownerId: OWNER,
      fromCursor: from,
      toCursor: `c${w.cursor}`,
      events,
    },
  );
}

function pendingRun(runId: string): RunEvent[] {
  return runEvents(runId, [
    { step: '_run', kind: 'created', status: 'queued', data: { chain: 'review' } },
    { step: 'draft', kind: 'started', status: 'running', attempt: 1 },
    { step: 'draft', kind: 'complete', status: 'complete', attempt: 1, exit_code: 0 },
    { step: 'review', kind: 'decision_pending', status: 'waiting', data: { prompt: `Publish ${runId}?` } },
  ]);
}

function decided(runId: string, option: 'approve' | 'reject'): RunEvent[] {
  return runEvents(runId, [
    { step: '_run', kind: 'created', status: 'queued', data: { chain: 'review' } },
    { step: 'draft', kind: 'started', status: 'running', attempt: 1 },
    { step: 'draft', kind: 'complete', status: 'complete', attempt: 1, exit_code: 0 },
    { step: 'review', kind: 'decision_pending', status: 'waiting', data: { prompt: `Publish ${runId}?` } },
    {
      step: 'review',
      kind: 'decided',
      status: 'complete',
      decision: { option, by: 'carol', note: null, timed_out: false },
    },
  ]).slice(4);
}

function open(w: Workspace, signal: AbortSignal): Promise<Response> {
  return fetch(`${address}/v1/decisions/stream`, { headers: w.tenant.headers, signal });
}

describe('GET /v1/decisions/stream', () => {
  it('sends the pending decisions, then each new one and each answered one as the collector commits them', async () => {
    const a = await workspace('stream-a');
    const b = await workspace('stream-b');
    await collect(a, pendingRun('before'));
    const stop = new AbortController();
    try {
      const response = await open(a, stop.signal);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const stream = new SseReader(response);
      const first = await stream.next('the decision pending before connecting', (e) => e.event === 'decision');
      expect(JSON.parse(first.data)).toMatchObject({ status: 'pending', prompt: 'Publish before?', step: 'review' });
      expect(first.id).toBe(JSON.parse(first.data).id);

      // Another tenant's decision is not this stream's business; this tenant's new one is.
      await collect(b, pendingRun('other'));
      await collect(a, pendingRun('after'));
      // Waits shorter than the stream's 15 s keep-alive re-read: only the commit's notification can deliver in time.
      const second = await stream.next('the new pending decision', (e) => e.event === 'decision', PUSHED_WITHIN_MS);
      expect(JSON.parse(second.data)).toMatchObject({ prompt: 'Publish after?' });

      await collect(a, decided('before', 'reject'));
      const closed = await stream.next('the answered decision', (e) => e.event === 'decision_closed', PUSHED_WITHIN_MS);
      expect(JSON.parse(closed.data)).toEqual({ type: 'closed', id: first.id, status: 'rejected' });
      expect(stream.received.map((e) => e.event)).toEqual(['decision', 'decision', 'decision_closed']);
      expect(stream.received.some((e) => e.data.includes('Publish other?'))).toBe(false);
    } finally {
      stop.abort();
    }
  }, 60_000);

  it('refuses a caller without a key, and bad input, before streaming anything', async () => {
    const anonymous = await fetch(`${address}/v1/decisions/stream`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    const w = await workspace('stream-bad');
    const bad = await fetch(`${address}/v1/decisions/stream?outputBytes=-1`, { headers: w.tenant.headers });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'validation_failed' } });
  });
});
