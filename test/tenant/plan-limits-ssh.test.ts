import { sh } from '@paddock/fleet';
import { billingPeriodOf, periodSpendMicros } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SshRunsWorld, startSshRunsWorld } from './runs-support';
import { limitTenant } from './support';
import { waitFor } from '../support/wait-for';

// Plan limits and spend caps on a real test box over SSH: the API's admission under concurrent starts, and the box
// holding its caps on its own while the control plane cannot see what it spends.
let w: SshRunsWorld;

beforeAll(async () => {
  w = await startSshRunsWorld('plan-limits');
  // The spender's model is priced so each step's 10 + 5 tokens cost what the box reports (3,000 micros): the
  // control plane's spend (the price book's) and the box's own count (the reported cost) then agree.
  await w.t.prisma.modelPrice.create({
    data: {
      model: 'm-cap',
      currency: 'USD',
      inputMicrosPerMillion: 200_000_000n,
      outputMicrosPerMillion: 200_000_000n,
      cachedInputMicrosPerMillion: 200_000_000n,
      effectiveFrom: new Date('2000-01-01T00:00:00Z'),
      createdBy: 'test',
    },
  });
}, 240_000);
afterAll(() => w?.close());

const post = (url: string, payload?: Record<string, unknown>) =>
  w.t.app.inject({ method: 'POST', url, headers: w.tenant.headers, ...(payload ? { payload } : {}) });

/** A chain that stays active: its decision waits for a person. */
const HOLD_CHAIN =
  'name: hold\nagents:\n  a:\n    run: echo held\n  gate:\n    needs: [a]\n    decision: { prompt: Go?, show: a }\n';
/** A chain whose two steps report 3,000 micros each: a 5,000 micros budget runs out in its second step. */
const usage = (cents: string) =>
  `echo '::usage {"model":"m-cap","input_tokens":10,"output_tokens":5,"cost_usd":${cents}}'`;
const SPEND_CHAIN = `name: spender\nagents:\n  one:\n    run: ${usage('0.003')}\n  two:\n    needs: [one]\n    run: ${usage('0.003')}\n`;

async function runStatus(runId: string) {
  return w.t.prisma.run.findUniqueOrThrow({ where: { id: runId }, select: { status: true, error: true } });
}

async function boxRun(runId: string) {
  return w.t.boxes.request(w.boxId, { op: 'status', run_id: runId });
}

async function spendNow(): Promise<bigint> {
  return periodSpendMicros({ prisma: w.t.prisma }, w.tenant.tenantId, billingPeriodOf(new Date()));
}

async function cancelAll(runIds: string[]): Promise<void> {
  for (const id of runIds) expect((await post(`/v1/runs/${id}/cancel`)).statusCode).toBe(202);
  await w.sync.until('the held runs to end', w.boxId, w.tenant.tenantId, async () => {
    const active = await w.t.prisma.run.count({
      where: { tenantId: w.tenant.tenantId, status: { in: ['queued', 'running', 'waiting_decision'] } },
    });
    return active === 0;
  });
}

describe('plan limits on a real box', () => {
  it('admits exactly 3 of 50 concurrent starts against maxConcurrentRuns 3, leaving no row for the others', async () => {
    await limitTenant(w.t.prisma, w.tenant.tenantId, { maxConcurrentRuns: 3 });
    expect((await post('/v1/chains', { definition: HOLD_CHAIN })).statusCode).toBe(201);
    const replies = await Promise.all(Array.from({ length: 50 }, () => post('/v1/runs', { chain: 'hold' })));
    const accepted = replies.filter((r) => r.statusCode === 201);
    const refused = replies.filter((r) => r.statusCode !== 201);
    expect(accepted).toHaveLength(3);
    expect(refused).toHaveLength(47);
    for (const reply of refused) {
      expect(reply.statusCode, reply.body).toBe(409);
      expect(reply.json().error).toMatchObject({
        code: 'plan_limit_reached',
        details: [{ limit: 'maxConcurrentRuns', current: 3, maximum: 3 }],
      });
    }
    const ids = accepted.map((r) => r.json().id as string).sort();
    const rows = await w.t.prisma.run.findMany({ where: { tenantId: w.tenant.tenantId }, select: { id: true } });
    expect(rows.map((r) => r.id).sort()).toEqual(ids);
    // The box has exactly those three, and admitted them all (its own limit is the same 3).
    const onBox = (await w.t.boxes.request(w.boxId, { op: 'list' })).runs.map((r) => r.run_id).sort();
    expect(onBox).toEqual(ids);
    await w.sync.until('the three runs waiting for their decision', w.boxId, w.tenant.tenantId, async () => {
      const rows = await w.t.prisma.run.findMany({ where: { id: { in: ids } }, select: { status: true } });
      return rows.every((r) => r.status === 'waiting_decision');
    });

    // The box holds the limit on its own: a fourth run asked of it directly (as if the API's check were gone) is
    // refused by the box itself, with an event that says why.
    await w.t.boxes.request(w.boxId, { op: 'run', text: HOLD_CHAIN, run_id: 'fourth-by-hand' });
    const fourth = await waitOnBox('fourth-by-hand');
    expect(fourth.status).toBe('failed');
    const events = await w.t.boxes.request(w.boxId, { op: 'events', run_id: 'fourth-by-hand' });
    expect(events.events.map((e) => e.kind)).toEqual(['created', 'refused', 'finished']);
    expect(events.events[1]?.data).toEqual({
      code: 'plan_limit_reached',
      limit: 'maxConcurrentRuns',
      current: 3,
      maximum: 3,
    });
    await cancelAll(ids);
  });

  it("raises a soft cap's 80% warning once and keeps accepting runs", async () => {
    await limitTenant(w.t.prisma, w.tenant.tenantId, {});
    expect((await post('/v1/chains', { definition: SPEND_CHAIN })).statusCode).toBe(201);
    const first = await post('/v1/runs', { chain: 'spender' });
    expect(first.statusCode).toBe(201);
    const firstId = first.json().id as string;
    await w.sync.until(
      'the spending run to finish',
      w.boxId,
      w.tenant.tenantId,
      async () => (await runStatus(firstId)).status === 'succeeded',
    );
    const spent = await spendNow();
    expect(spent).toBeGreaterThanOrEqual(6000n);
    // The cap puts today's spend at 85%: past the warning, short of the cap.
    const cap = Number((spent * 100n) / 85n);
    await limitTenant(w.t.prisma, w.tenant.tenantId, {
      spendCap: { monthlyMicros: cap, mode: 'soft', warnAtPercent: 80 },
    });
    const period = billingPeriodOf(new Date()).label;
    for (let i = 0; i < 2; i++) {
      const reply = await post('/v1/runs', { chain: 'hold' });
      expect(reply.statusCode).toBe(201);
    }
    const alerts = await w.t.prisma.alert.findMany({
      where: { tenantId: w.tenant.tenantId, code: { startsWith: 'spend_cap' } },
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ code: 'spend_cap_warning', severity: 'warning', occurrences: 1 });
    expect(alerts[0]?.details).toMatchObject({ period, percent: 80, mode: 'soft', capMicros: String(cap) });
    const held = await w.t.prisma.run.findMany({
      where: { tenantId: w.tenant.tenantId, status: { in: ['queued', 'running', 'waiting_decision'] } },
      select: { id: true },
    });
    await cancelAll(held.map((r) => r.id));
  });

  it('a hard cap reached mid-run stops the next run on the box itself while the control plane sees nothing', async () => {
    // The budget left is 5,000 micros: the spender's first step (3,000) stays under it, its second takes it over.
    const spent = await spendNow();
    await limitTenant(w.t.prisma, w.tenant.tenantId, {
      spendCap: { monthlyMicros: Number(spent) + 5000, mode: 'hard' },
    });
    const first = await post('/v1/runs', { chain: 'spender' });
    expect(first.statusCode).toBe(201);
    const firstId = first.json().id as string;
    // Collection is stopped from here on: Postgres never hears what the first run spends.
    expect((await waitOnBox(firstId)).status).toBe('succeeded');
    expect(await spendNow()).toBe(spent);

    // The API, blind to that spend, admits the next run; the box refuses it on its own.
    const second = await post('/v1/runs', { chain: 'spender' });
    expect(second.statusCode).toBe(201);
    const secondId = second.json().id as string;
    const onBox = await waitOnBox(secondId);
    expect(onBox.status).toBe('failed');
    expect(onBox.steps.every((s) => s.status === 'pending')).toBe(true);

    // A run started on the box by hand (the tenant's own cron, no control plane involved) is refused alike.
    const byHand = await w.rootExec(
      sh`printf '%s' ${SPEND_CHAIN} > /tmp/spender.yaml && chmod 644 /tmp/spender.yaml && runuser -u paddock -- env -i PATH=/usr/local/bin:/usr/bin:/bin CHAIN_ROOT=/var/lib/paddock /opt/paddock/current/bin/chainctl run /tmp/spender.yaml --id by-hand-over-cap --wait`,
    );
    expect(byHand.exitCode, byHand.stderr).toBe(1);
    expect(byHand.stdout).toContain('by-hand-over-cap: failed');

    // Collection resumes: the refusal reaches Postgres, the run is failed with the reason, and the control plane,
    // now counting the spend, refuses the next start itself (402) without writing a row.
    await w.sync.until(
      'the refused run in Postgres',
      w.boxId,
      w.tenant.tenantId,
      async () => (await runStatus(secondId)).status === 'failed',
    );
    const refusedRow = await runStatus(secondId);
    expect(refusedRow.error).toMatch(
      /^spend_cap_reached: the monthly spend cap for \d{4}-\d{2} is reached on this box/,
    );
    const refusalEvent = await w.t.prisma.usageEvent.findFirstOrThrow({
      where: { runId: secondId, type: 'refused' },
      select: { payload: true },
    });
    expect((refusalEvent.payload as { data?: unknown }).data).toMatchObject({
      code: 'spend_cap_reached',
      limit: 'spendCap',
      current: 6000,
      maximum: 5000,
    });
    expect(await spendNow()).toBe(spent + 6000n);
    const before = await w.t.prisma.run.count({ where: { tenantId: w.tenant.tenantId } });
    const third = await post('/v1/runs', { chain: 'spender' });
    expect(third.statusCode).toBe(402);
    expect(third.json().error).toMatchObject({
      code: 'spend_cap_reached',
      details: [{ limit: 'spendCap', current: Number(spent) + 6000, maximum: Number(spent) + 5000 }],
    });
    expect(await w.t.prisma.run.count({ where: { tenantId: w.tenant.tenantId } })).toBe(before);
    // A replay would spend again: refused alike, before the box is asked.
    const replay = await post(`/v1/runs/${firstId}/replay`, { from: 'one' });
    expect(replay.statusCode).toBe(402);
    expect(replay.json().error.code).toBe('spend_cap_reached');
    expect((await boxRun(firstId)).status).toBe('succeeded');
    const capAlerts = await w.t.prisma.alert.count({
      where: { tenantId: w.tenant.tenantId, code: 'spend_cap_reached' },
    });
    expect(capAlerts).toBe(1);
  });
});

/** Waits for a run to finish on the box, asking the box itself (Postgres is not told while collection is stopped). */
async function waitOnBox(runId: string) {
  return waitFor(`run ${runId} to finish on the box`, async () => {
    const status = await boxRun(runId);
    return status.finished ? status : undefined;
  });
}
