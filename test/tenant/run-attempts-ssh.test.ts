import { DEFAULT_BOX_LAYOUT, sh } from '@paddock/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVIEW_CHAIN, type SshRunsWorld, startSshRunsWorld } from './runs-support';

// Every execution of a step is its own attempt, through the API on a real test box (sshd on loopback, the runtime
// release deployed, reached over SSH the production way) with the collector's real ingestion: its own row, usage,
// output and terminal log, the run's totals the sum of its attempts, history kept across replays.
let world: SshRunsWorld;

/** Attempt 1 prints, reports usage and goes silent (the watchdog kills it); attempt 2 reports more and ends. */
const FLAKY_CHAIN = `name: flaky
agents:
  work:
    idle_timeout: 2s
    retries: 1
    backoff: 10ms
    run: |
      if [ "$CHAIN_ATTEMPT" = 1 ]; then
        echo '::usage {"model":"m-1","input_tokens":100,"output_tokens":10,"cost_usd":0.001}'
        echo first try
        exec sleep 30
      fi
      echo '::usage {"model":"m-1","input_tokens":200,"output_tokens":20,"cost_usd":0.002}'
      echo second try
`;

interface Attempt {
  attempt: number;
  current: boolean;
  status: string;
  tokensIn: number;
  tokensOut: number;
  costMicros: string;
  exitCode: number | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}
interface Step extends Omit<Attempt, 'current'> {
  name: string;
  attempts: Attempt[];
}
interface RunDetail {
  status: string;
  finishedAt: string | null;
  tokensIn: number;
  tokensOut: number;
  costMicros: string;
  steps: Step[];
}

beforeAll(async () => {
  world = await startSshRunsWorld('run-attempts');
  for (const definition of [FLAKY_CHAIN, REVIEW_CHAIN]) {
    const reply = await post('/v1/chains', { definition });
    expect(reply.statusCode).toBe(201);
  }
}, 240_000);

afterAll(async () => {
  await world?.close();
});

const get = (url: string) => world.t.app.inject({ method: 'GET', url, headers: world.tenant.headers });
const post = (url: string, payload?: Record<string, unknown>) =>
  world.t.app.inject({ method: 'POST', url, headers: world.tenant.headers, ...(payload ? { payload } : {}) });
const until = <T>(what: string, check: () => Promise<T | undefined | false>) =>
  world.sync.until(what, world.boxId, world.tenant.tenantId, check);

async function start(chain: string, inputs: Record<string, string> = {}): Promise<string> {
  const reply = await post('/v1/runs', { chain, inputs });
  expect(reply.statusCode).toBe(201);
  return reply.json().id as string;
}

const detail = async (runId: string) => (await get(`/v1/runs/${runId}`)).json() as RunDetail;

async function runWhen(runId: string, check: (run: RunDetail) => boolean): Promise<RunDetail> {
  return until(`run ${runId}`, async () => {
    const run = await detail(runId);
    return check(run) ? run : undefined;
  });
}

const stepOf = (run: RunDetail, name: string) => {
  const step = run.steps.find((s) => s.name === name);
  if (!step) throw new Error(`no step ${name}`);
  return step;
};

/** The run's totals equal the sum of every attempt of every step, and each step's usage the sum of its attempts. */
function expectTotalsAreSums(run: RunDetail): void {
  const attempts = run.steps.flatMap((s) => s.attempts);
  const sum = (of: (a: Attempt) => number | bigint) => attempts.reduce((n, a) => n + BigInt(of(a)), 0n);
  expect({ tokensIn: run.tokensIn, tokensOut: run.tokensOut, costMicros: run.costMicros }).toEqual({
    tokensIn: Number(sum((a) => a.tokensIn)),
    tokensOut: Number(sum((a) => a.tokensOut)),
    costMicros: sum((a) => BigInt(a.costMicros)).toString(),
  });
  for (const step of run.steps) {
    expect(step.tokensIn).toBe(step.attempts.reduce((n, a) => n + a.tokensIn, 0));
    expect(step.attempts.filter((a) => a.current).map((a) => a.attempt)).toEqual([
      Math.max(...step.attempts.map((a) => a.attempt)),
    ]);
  }
}

async function outputOf(runId: string, step: string, attempt?: number) {
  const reply = await get(
    `/v1/runs/${runId}/steps/${step}/output${attempt === undefined ? '' : `?attempt=${attempt}`}`,
  );
  return { status: reply.statusCode, body: reply.body, attempt: reply.headers['x-output-attempt'] };
}

async function onBox(path: string): Promise<string> {
  const read = await world.rootExec(sh`cat ${`${DEFAULT_BOX_LAYOUT.dataDir}/runs/${path}`}`);
  expect(read.exitCode, read.stderr).toBe(0);
  return read.stdout;
}

async function stepEvents(runId: string) {
  const page = (await get(`/v1/runs/${runId}/events?limit=1000`)).json() as {
    events: { step: string; kind: string; event: { attempt: number | null } }[];
  };
  return page.events.filter((e) => e.step !== '_run');
}

describe('every attempt of a step is kept', () => {
  it('a watchdog retry leaves two attempts with their own usage, output and terminal; the run totals their sum', async () => {
    const runId = await start('flaky');
    const run = await runWhen(runId, (r) => r.status === 'succeeded');
    const work = stepOf(run, 'work');
    // Charged at the price book's m-1 price (100 micros an input token, priceUsageModels), not the box's figure.
    expect(work.attempts).toMatchObject([
      { attempt: 1, current: false, status: 'failed', tokensIn: 100, tokensOut: 10, costMicros: '10000' },
      { attempt: 2, current: true, status: 'succeeded', tokensIn: 200, tokensOut: 20, costMicros: '20000' },
    ]);
    expect(work.attempts[0]?.error).toMatch(/no terminal output for 2s/);
    expect(work).toMatchObject({ attempt: 2, status: 'succeeded', tokensIn: 300, tokensOut: 30, costMicros: '30000' });
    expect(run).toMatchObject({ tokensIn: 300, tokensOut: 30, costMicros: '30000' });
    expectTotalsAreSums(run);
    // In Postgres: one row per attempt.
    const rows = await world.t.prisma.runStep.findMany({ where: { runId }, orderBy: { attempt: 'asc' } });
    expect(rows.map((r) => [r.name, r.attempt, r.tokensIn])).toEqual([
      ['work', 1, 100],
      ['work', 2, 200],
    ]);

    // Each attempt's output and terminal log, on the box and through the API; the usual path is the current one's.
    expect(await outputOf(runId, 'work', 1)).toMatchObject({ status: 200, body: expect.stringContaining('first try') });
    const second = await outputOf(runId, 'work', 2);
    expect(second).toMatchObject({ status: 200, body: expect.stringContaining('second try'), attempt: '2' });
    expect(second.body).not.toContain('first try');
    expect(await outputOf(runId, 'work')).toEqual(second);
    expect(await outputOf(runId, 'work', 3)).toMatchObject({ status: 404 });
    for (const bad of ['0', '-1', 'x', '1.5', '99999999999']) {
      const refused = await get(`/v1/runs/${runId}/steps/work/output?attempt=${bad}`);
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.code).toEqual(expect.any(String));
    }
    expect(await onBox(`${runId}/steps/work/attempts/1/pty.log`)).toContain('first try');
    expect(await onBox(`${runId}/steps/work/attempts/1/pty.log`)).not.toContain('second try');
    expect(await onBox(`${runId}/steps/work/attempts/2/pty.log`)).toContain('second try');
    expect(await onBox(`${runId}/steps/work/pty.log`)).toBe(await onBox(`${runId}/steps/work/attempts/2/pty.log`));

    // Every step event names its attempt.
    const events = await stepEvents(runId);
    expect(events.map((e) => `${e.kind}#${e.event.attempt}`)).toEqual([
      'started#1',
      'alert#1',
      'killed#1',
      'retry#1',
      'started#2',
      'complete#2',
    ]);
  }, 120_000);

  it('a request_changes loop makes a new attempt of the step it sends back, and of the decision', async () => {
    const runId = await start('review', { topic: 'voles' });
    const pending = async (not?: string) =>
      until('a pending decision', async () => {
        const list = (await get(`/v1/decisions?status=pending&runId=${runId}`)).json().decisions as { id: string }[];
        return list.find((d) => d.id !== not);
      });
    const first = await pending();
    const changes = await post(`/v1/decisions/${first.id}`, { choice: 'request_changes', note: 'more voles' });
    expect(changes.statusCode).toBe(200);
    const second = await pending(first.id);
    expect((await post(`/v1/decisions/${second.id}`, { choice: 'approve' })).statusCode).toBe(200);
    const run = await runWhen(runId, (r) => r.status === 'succeeded');

    expect(stepOf(run, 'draft').attempts).toMatchObject([
      { attempt: 1, current: false, status: 'succeeded', tokensIn: 10 },
      { attempt: 2, current: true, status: 'succeeded', tokensIn: 10 },
    ]);
    expect(stepOf(run, 'review').attempts.map((a) => [a.attempt, a.status, a.current])).toEqual([
      [1, 'succeeded', false],
      [2, 'succeeded', true],
    ]);
    expect(stepOf(run, 'publish').attempts.map((a) => a.attempt)).toEqual([1]);
    expect(run.tokensIn).toBe(40);
    expectTotalsAreSums(run);
    const decisions = await world.t.prisma.decision.findMany({ where: { runId }, orderBy: { createdAt: 'asc' } });
    expect(decisions.map((d) => d.status)).toEqual(['changes_requested', 'approved']);

    // The first draft is kept as it was; the second had the note.
    expect((await outputOf(runId, 'draft', 1)).body).toBe('draft about voles\n');
    expect((await outputOf(runId, 'draft', 2)).body).toContain('more voles');
    expect((await outputOf(runId, 'draft')).body).toContain('more voles');
  }, 120_000);

  it('a replay answers the reopened run, keeps the replaced attempts and events, and marks the current one', async () => {
    const runId = await start('review', { topic: 'otters' });
    const decision = await until('the decision', async () => {
      const list = (await get(`/v1/decisions?status=pending&runId=${runId}`)).json().decisions as { id: string }[];
      return list[0];
    });
    expect((await post(`/v1/decisions/${decision.id}`, { choice: 'approve' })).statusCode).toBe(200);
    const done = await runWhen(runId, (r) => r.status === 'succeeded');
    expect(done.finishedAt).not.toBeNull();

    const replay = await post(`/v1/runs/${runId}/replay`, { from: 'publish' });
    expect(replay.statusCode).toBe(202);
    expect(replay.json().event).toMatchObject({ kind: 'replayed', step: '_run' });
    // The run as it is now, not as the replay found it: a client polling for completion keeps polling.
    expect(replay.json().run).toMatchObject({ status: 'running', finishedAt: null, durationMs: null });
    expect((await detail(runId)).status).toBe('running');

    const replayed = await runWhen(
      runId,
      (r) => r.status === 'succeeded' && stepOf(r, 'publish').attempts.some((a) => a.attempt === 2),
    );
    expect(stepOf(replayed, 'publish').attempts).toMatchObject([
      { attempt: 1, current: false, status: 'succeeded', tokensIn: 20 },
      { attempt: 2, current: true, status: 'succeeded', tokensIn: 20 },
    ]);
    expect(stepOf(replayed, 'draft').attempts.map((a) => a.attempt)).toEqual([1]);
    expect(replayed.tokensIn).toBe(50);
    expectTotalsAreSums(replayed);
    expect(replayed.finishedAt).not.toBe(done.finishedAt);

    // The replaced attempt's events stay, in the API and on the box, each naming its attempt.
    const publish = (await stepEvents(runId)).filter((e) => e.step === 'publish');
    expect(publish.map((e) => `${e.kind}#${e.event.attempt}`)).toEqual([
      'started#1',
      'complete#1',
      'started#2',
      'complete#2',
    ]);
    const onDisk = await world.rootExec(sh`ls ${`${DEFAULT_BOX_LAYOUT.dataDir}/runs/${runId}/.events`}`);
    expect(onDisk.stdout.split('\n').filter((f) => f.includes('-publish.started.'))).toHaveLength(2);
    expect(await onBox(`${runId}/steps/publish/attempts/1/output`)).toBe('published\n');
    expect(await onBox(`${runId}/steps/publish/attempts/2/output`)).toBe('published\n');

    // Collecting the same events again (the cursor reset, as after a collector's crash) adds nothing.
    const before = await detail(runId);
    const usageRows = await world.t.prisma.usageEvent.count({ where: { runId } });
    await world.sync.pool.query(`UPDATE collector_cursors SET cursor = '' WHERE box_id = $1`, [world.boxId]);
    expect(await world.sync.sync(world.boxId, world.tenant.tenantId)).toBe(0);
    expect(await detail(runId)).toEqual(before);
    expect(await world.t.prisma.usageEvent.count({ where: { runId } })).toBe(usageRows);
  }, 120_000);
});
