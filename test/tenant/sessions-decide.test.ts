import { localGatewayConnector } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { createLocalRuntime, type LocalRuntime } from '../collect/support/local-runtime';
import { BoxSync, REVIEW_CHAIN } from './runs-support';
import { logIn, type SignedUpUser, signUpWithPassword, startTenantTestApp } from './support';

// A person logged in (not an API key) runs a chain and answers its decision on a real runtime (`chainctl daemon` and
// `chainctl serve --stdio` as local processes): the box, Postgres and the audit log name that person by email.
let t: TestApp;
let runtime: LocalRuntime;
let sync: BoxSync;
let owner: SignedUpUser;
let session: { authorization: string };
let boxId: string;

beforeAll(async () => {
  runtime = createLocalRuntime('api-session-');
  await runtime.startDaemon();
  t = await startTenantTestApp({ boxConnector: () => localGatewayConnector(() => runtime.serve) });
  sync = new BoxSync(t, t.boxes);
  owner = await signUpWithPassword(t.app, 'decider');
  session = (await logIn(t.app, owner.email, owner.password)).headers;
  boxId = (await t.prisma.box.create({ data: { tenantId: owner.tenantId, provider: 'local', status: 'ready' } })).id;
  await sync.claim(boxId, owner.tenantId);
}, 60_000);

afterAll(async () => {
  await sync?.close();
  await t?.close();
  await runtime?.cleanup();
});

describe('a decision answered with a user session', () => {
  it('records the logged-in user (not a key) as the one who started the run and decided, here and on the box', async () => {
    const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
      t.app.inject({ method, url, headers: session, ...(payload ? { payload } : {}) });
    expect((await call('POST', '/v1/chains', { definition: REVIEW_CHAIN })).statusCode).toBe(201);
    const started = await call('POST', '/v1/runs', { chain: 'review', inputs: { topic: 'badgers' } });
    expect(started.statusCode).toBe(201);
    const runId = started.json().id as string;
    const run = await t.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run).toMatchObject({ startedByUserId: owner.userId, startedByApiKeyId: null });

    const decision = await sync.until('a pending decision', boxId, owner.tenantId, async () => {
      const list = await call('GET', `/v1/decisions?status=pending&runId=${runId}`);
      expect(list.statusCode).toBe(200);
      return list.json().decisions[0] as { id: string } | undefined;
    });
    const approved = await call('POST', `/v1/decisions/${decision.id}`, { choice: 'approve', note: 'from a person' });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({
      status: 'approved',
      decidedBy: { apiKeyId: null, userId: owner.userId, label: owner.email },
    });
    const stored = await t.prisma.decision.findUniqueOrThrow({ where: { id: decision.id } });
    expect(stored).toMatchObject({ decidedByUserId: owner.userId, decidedByApiKeyId: null, note: 'from a person' });
    const { stdout } = await runtime.chainctl('status', runId, '--json');
    const review = JSON.parse(stdout).steps.find((s: { step: string }) => s.step === 'review');
    expect(review.decision).toMatchObject({ option: 'approve', by: owner.email });
    const audit = await t.prisma.auditLog.findMany({
      where: { tenantId: owner.tenantId, action: { in: ['run.start', 'decision.approve'] } },
      orderBy: { id: 'asc' },
    });
    expect(audit.map((row) => [row.action, row.actorType, row.actorId, row.actorLabel])).toEqual([
      ['run.start', 'user', owner.userId, owner.email],
      ['decision.approve', 'user', owner.userId, owner.email],
    ]);
  });
});
