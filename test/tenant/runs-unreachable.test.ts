import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { type SignedUp, signUp, startTenantTestApp } from './support';

// A box that cannot be reached (its SSH target loads but the connection is refused): every action answers 503
// box_unavailable, and nothing it would have written stays behind.
let t: TestApp;
let tenant: SignedUp;
let boxId: string;
let runId: string;
let decisionId: string;

beforeAll(async () => {
  t = await startTenantTestApp({
    boxConnector: () => ({
      transport: () => async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:9');
      },
      readFile: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:9');
      },
    }),
  });
  tenant = await signUp(t.app, 'unreachable');
  boxId = (await t.prisma.box.create({ data: { tenantId: tenant.tenantId, provider: 'local', status: 'unreachable' } }))
    .id;
  const chain = await t.app.inject({
    method: 'POST',
    url: '/v1/chains',
    headers: tenant.headers,
    payload: {
      definition:
        'name: gated\nagents:\n  a:\n    run: echo a\n  gate:\n    needs: [a]\n    decision: { prompt: Go?, show: a }\n',
    },
  });
  expect(chain.statusCode).toBe(201);
  // A run the box started before it went away, and its pending decision (as the collector stored them).
  const run = await t.prisma.run.create({
    data: {
      tenantId: tenant.tenantId,
      boxId,
      chainId: chain.json().chain.id,
      runtimeRunId: 'r-1',
      status: 'waiting_decision',
    },
  });
  runId = run.id;
  await t.prisma.runStep.create({
    data: { tenantId: tenant.tenantId, runId, name: 'a', position: 0, status: 'succeeded' },
  });
  decisionId = (
    await t.prisma.decision.create({
      data: {
        tenantId: tenant.tenantId,
        runId,
        boxId,
        runtimeDecisionId: 'gate:4',
        stepName: 'gate',
        prompt: 'Go?',
        subject: { options: ['approve', 'reject', 'request_changes'], show: 'a' },
      },
    })
  ).id;
});
afterAll(() => t?.close());

const post = (url: string, payload?: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url, headers: tenant.headers, ...(payload ? { payload } : {}) });

describe('a box that does not answer', () => {
  it('answers 503 box_unavailable and leaves nothing written', async () => {
    const snapshot = async () =>
      JSON.stringify(
        {
          runs: await t.prisma.run.findMany({ orderBy: { id: 'asc' } }),
          decisions: await t.prisma.decision.findMany(),
          audit: await t.prisma.auditLog.count({ where: { action: { startsWith: 'run.' } } }),
          decisionAudit: await t.prisma.auditLog.count({ where: { action: { startsWith: 'decision.' } } }),
        },
        (_k, v) => (typeof v === 'bigint' ? String(v) : v),
      );
    const before = await snapshot();
    for (const [url, payload] of [
      ['/v1/runs', { chain: 'gated' }],
      [`/v1/runs/${runId}/cancel`, undefined],
      [`/v1/runs/${runId}/replay`, { from: 'a' }],
      [`/v1/decisions/${decisionId}`, { choice: 'approve', note: 'go' }],
    ] as const) {
      const reply = await post(url, payload);
      expect({ url, status: reply.statusCode }).toEqual({ url, status: 503 });
      expect(reply.json().error.code).toBe('box_unavailable');
      expect(reply.body).not.toContain('ECONNREFUSED');
    }
    expect(await snapshot()).toBe(before);

    const output = await t.app.inject({ url: `/v1/runs/${runId}/steps/a/output`, headers: tenant.headers });
    expect(output.statusCode).toBe(503);
    // The list still answers from Postgres; only the output to judge is missing, with the reason.
    const list = await t.app.inject({ url: '/v1/decisions', headers: tenant.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json().decisions).toEqual([
      expect.objectContaining({ id: decisionId, output: null, outputError: 'box_unavailable', status: 'pending' }),
    ]);
    // The decision is still open: once the box is back it can be answered.
    expect((await t.prisma.decision.findUniqueOrThrow({ where: { id: decisionId } })).decidedAt).toBeNull();
  });
});
