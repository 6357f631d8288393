import { localGatewayConnector } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { createLocalRuntime, type LocalRuntime } from '../collect/support/local-runtime';
import { BoxSync } from './runs-support';
import { logIn, type SignedUpUser, signUpWithPassword, startTenantTestApp } from './support';

// Members answer decisions on a real runtime (`chainctl daemon` and `chainctl serve --stdio` as local processes): a
// chain's `approvers` names members by email, so only they may answer (others get 403 and nothing reaches the box),
// a viewer may not answer at all, and the decision names the member who answered (id and email).
const GATED_CHAIN = `name: gated
agents:
  draft:
    run: echo "draft about $(cat)"
    input: { run_input: topic }
  review:
    needs: [draft]
    decision: { prompt: Ship the draft?, show: draft, approvers: [approver@example.com] }
  ship:
    needs: [review]
    run: echo shipped
`;

let t: TestApp;
let runtime: LocalRuntime;
let sync: BoxSync;
let owner: SignedUpUser;
let boxId: string;
const sessions: Record<'owner' | 'approver' | 'bystander' | 'viewer', { authorization: string }> = {
  owner: { authorization: '' },
  approver: { authorization: '' },
  bystander: { authorization: '' },
  viewer: { authorization: '' },
};
const ids: Record<string, string> = {};

beforeAll(async () => {
  runtime = createLocalRuntime('api-members-');
  await runtime.startDaemon();
  t = await startTenantTestApp({ boxConnector: () => localGatewayConnector(() => runtime.serve) });
  sync = new BoxSync(t, t.boxes);
  owner = await signUpWithPassword(t.app, 'gated');
  sessions.owner = (await logIn(t.app, owner.email, owner.password)).headers;
  for (const [name, role] of [
    ['approver', 'member'],
    ['bystander', 'member'],
    ['viewer', 'viewer'],
  ] as const) {
    const email = `${name}@example.com`;
    const invited = await t.app.inject({
      method: 'POST',
      url: '/v1/members',
      headers: sessions.owner,
      payload: { email, role },
    });
    ids[name] = invited.json().member.id;
    const password = `passphrase of the ${name}`;
    await t.app.inject({
      method: 'POST',
      url: '/v1/members/accept',
      payload: { token: invited.json().invite.token, password },
    });
    sessions[name] = (await logIn(t.app, email, password)).headers;
  }
  boxId = (await t.prisma.box.create({ data: { tenantId: owner.tenantId, provider: 'local', status: 'ready' } })).id;
  await sync.claim(boxId, owner.tenantId);
}, 60_000);

afterAll(async () => {
  await sync?.close();
  await t?.close();
  await runtime?.cleanup();
});

const call = (who: keyof typeof sessions, method: 'GET' | 'POST', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: sessions[who], ...(payload ? { payload } : {}) });

describe('members and decisions', () => {
  it('lets only a named approver answer, refuses others and viewers, and names who answered', async () => {
    expect((await call('owner', 'POST', '/v1/chains', { definition: GATED_CHAIN })).statusCode).toBe(201);
    // A viewer cannot start a run; a member can.
    const viewerRun = await call('viewer', 'POST', '/v1/runs', { chain: 'gated', inputs: { topic: 'x' } });
    expect(viewerRun.statusCode).toBe(403);
    expect(viewerRun.json().error.code).toBe('insufficient_role');
    const started = await call('bystander', 'POST', '/v1/runs', { chain: 'gated', inputs: { topic: 'otters' } });
    expect(started.statusCode, started.body).toBe(201);
    const runId = started.json().id as string;

    const decision = await sync.until('a pending decision', boxId, owner.tenantId, async () => {
      const list = await call('viewer', 'GET', `/v1/decisions?status=pending&runId=${runId}`);
      expect(list.statusCode).toBe(200);
      return list.json().decisions[0] as { id: string; approvers: string[] | null } | undefined;
    });
    expect(decision.approvers).toEqual(['approver@example.com']);

    for (const who of ['bystander', 'owner'] as const) {
      const refused = await call(who, 'POST', `/v1/decisions/${decision.id}`, { choice: 'approve' });
      expect(refused.statusCode, refused.body).toBe(403);
      expect(refused.json().error.code).toBe('not_an_approver');
    }
    const viewer = await call('viewer', 'POST', `/v1/decisions/${decision.id}`, { choice: 'approve' });
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json().error.code).toBe('insufficient_role');
    // Nothing was recorded or sent: the row is pending and unclaimed, the box has no answer.
    const pending = await t.prisma.decision.findUniqueOrThrow({ where: { id: decision.id } });
    expect(pending).toMatchObject({ status: 'pending', decidedAt: null, decidedByUserId: null });
    expect((pending.subject as { claim?: unknown }).claim).toBeUndefined();
    const onBox = JSON.parse((await runtime.chainctl('status', runId, '--json')).stdout);
    expect(onBox.steps.find((s: { step: string }) => s.step === 'review').decision ?? null).toBeNull();

    const approved = await call('approver', 'POST', `/v1/decisions/${decision.id}`, { choice: 'approve', note: 'ok' });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({
      status: 'approved',
      decidedBy: { userId: ids.approver, email: 'approver@example.com', apiKeyId: null },
    });
    const read = await call('viewer', 'GET', `/v1/decisions/${decision.id}`);
    expect(read.json().decidedBy).toMatchObject({ userId: ids.approver, email: 'approver@example.com' });
    const after = JSON.parse((await runtime.chainctl('status', runId, '--json')).stdout);
    expect(after.steps.find((s: { step: string }) => s.step === 'review').decision).toMatchObject({
      option: 'approve',
      by: 'approver@example.com',
    });
    const audit = await t.prisma.auditLog.findFirstOrThrow({
      where: { tenantId: owner.tenantId, action: 'decision.approve', targetId: decision.id },
    });
    expect(audit).toMatchObject({
      actorId: ids.approver,
      actorLabel: 'approver@example.com',
      before: { status: 'pending' },
      after: { status: 'approved' },
    });
  });
});
