import { DEFAULT_BOX_LAYOUT, layoutPaths, sh } from '@paddock/fleet';
import { BoxGateway, loadBoxTargetWithPrisma, sshGatewayConnector } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LossyLink, REVIEW_CHAIN, type SshRunsWorld, startSshRunsWorld } from './runs-support';

// A decision (or a cancel) sent while the SSH link under the API's serve channel dies, on a real deployed test box:
// the box's SSH sessions are really killed. Whether the request reached the box or not, the API answers as if the
// link had held, and the box records the decision exactly once.
const SERVICE = layoutPaths(DEFAULT_BOX_LAYOUT).service;

let world: SshRunsWorld;
// What a failure does besides killing the sessions (another person deciding meanwhile).
let meanwhile: (() => Promise<void>) | undefined;
const link = new LossyLink(async () => {
  await world.box.dropConnections();
  await meanwhile?.();
});
/** A second, independent way to the box: another API process. */
let otherGateway: BoxGateway;

beforeAll(async () => {
  world = await startSshRunsWorld('decide-reconnect', {
    boxConnector: ({ prisma, vault, ssh }) => {
      const real = sshGatewayConnector({
        ssh,
        target: (boxId) => loadBoxTargetWithPrisma({ prisma, vault }, boxId),
        serveCommand: sh`${SERVICE} serve`,
      });
      return { transport: (boxId) => link.wrap(real.transport(boxId)), readFile: real.readFile };
    },
  });
  otherGateway = new BoxGateway({
    connector: sshGatewayConnector({
      ssh: world.t.ssh,
      target: (boxId) => loadBoxTargetWithPrisma({ prisma: world.t.prisma, vault: world.t.vault }, boxId),
      serveCommand: sh`${SERVICE} serve`,
    }),
  });
  const chain = await post('/v1/chains', { definition: REVIEW_CHAIN });
  expect(chain.statusCode).toBe(201);
}, 240_000);

afterAll(async () => {
  await otherGateway?.close();
  await world?.close();
});

const get = (url: string) => world.t.app.inject({ method: 'GET', url, headers: world.tenant.headers });
const post = (url: string, payload?: Record<string, unknown>) =>
  world.t.app.inject({ method: 'POST', url, headers: world.tenant.headers, ...(payload ? { payload } : {}) });

/** A run of the review chain waiting for its decision, as the API lists it. */
async function pendingDecision(topic: string): Promise<{ runId: string; decisionId: string }> {
  const started = await post('/v1/runs', { chain: 'review', inputs: { topic } });
  expect(started.statusCode).toBe(201);
  const runId = started.json().id as string;
  const decision = await world.sync.until('the pending decision', world.boxId, world.tenant.tenantId, async () => {
    const list = (await get(`/v1/decisions?runId=${runId}`)).json();
    return list.decisions[0] as { id: string } | undefined;
  });
  return { runId, decisionId: decision.id };
}

async function eventsOnBox(runId: string, kind: string) {
  const page = await world.t.boxes.request(world.boxId, { op: 'events', run_id: runId, limit: 1000 });
  return page.events.filter((e) => e.kind === kind);
}

describe('decisions and cancels across a dropped SSH link', () => {
  it('decides once when the link died silently before the decision was sent', async () => {
    const { runId, decisionId } = await pendingDecision('silent');
    const hits = link.hits;
    link.arm({ op: 'decide', mode: 'dead_link' });
    const approved = await post(`/v1/decisions/${decisionId}`, { choice: 'approve', note: 'after a drop' });
    expect(link.hits).toBe(hits + 1);
    expect(approved.statusCode, approved.body).toBe(200);
    const decided = await eventsOnBox(runId, 'decided');
    expect(decided).toHaveLength(1);
    expect(decided[0]?.decision).toMatchObject({
      option: 'approve',
      note: 'after a drop',
      by: approved.json().decidedBy.label,
    });
    const run = await world.sync.until('the run to succeed', world.boxId, world.tenant.tenantId, async () => {
      const detail = (await get(`/v1/runs/${runId}`)).json();
      return detail.status === 'succeeded' ? detail : undefined;
    });
    expect(run.status).toBe('succeeded');
  }, 120_000);

  it('answers from the box, without deciding again, when the decision arrived but its answer was lost', async () => {
    const { runId, decisionId } = await pendingDecision('lost-answer');
    const hits = link.hits;
    link.arm({ op: 'decide', mode: 'lose_answer' });
    const rejected = await post(`/v1/decisions/${decisionId}`, { choice: 'reject', note: 'no' });
    expect(link.hits).toBe(hits + 1);
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(rejected.json().status).toBe('rejected');
    const decided = await eventsOnBox(runId, 'decided');
    expect(decided.map((e) => e.decision?.option)).toEqual(['reject']);
  }, 120_000);

  it('reports the conflict when someone else decided while the link was down, and records nothing', async () => {
    const { runId, decisionId } = await pendingDecision('raced');
    meanwhile = async () => {
      await otherGateway.request(world.boxId, {
        op: 'decide',
        run_id: runId,
        step: 'review',
        option: 'reject',
        by: 'bob',
      });
    };
    try {
      link.arm({ op: 'decide', mode: 'dead_link' });
      const approved = await post(`/v1/decisions/${decisionId}`, { choice: 'approve' });
      expect(approved.statusCode, approved.body).toBe(409);
      expect(approved.json().error.message).toContain('already decided: reject by bob');
    } finally {
      meanwhile = undefined;
    }
    const decided = await eventsOnBox(runId, 'decided');
    expect(decided.map((e) => e.decision?.by)).toEqual(['bob']);
    const row = await world.t.prisma.decision.findUniqueOrThrow({ where: { id: decisionId } });
    expect(row.decidedAt).toBeNull();
  }, 120_000);

  it('cancels once when the cancel arrived but its answer was lost', async () => {
    const { runId } = await pendingDecision('cancel');
    link.arm({ op: 'cancel', mode: 'lose_answer' });
    const cancelled = await post(`/v1/runs/${runId}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(202);
    expect(cancelled.json().event).toMatchObject({ kind: 'cancelled', step: '_run' });
    expect(await eventsOnBox(runId, 'cancelled')).toHaveLength(1);
  }, 120_000);
});
