import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localGatewayConnector } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, loginAs, type TestApp } from '../../apps/api/src/test-app';
import { createLocalRuntime, type LocalRuntime } from '../collect/support/local-runtime';
import { BoxSync } from './runs-support';
import { type SignedUp, signUp, startTenantTestApp } from './support';

// Issue 12's defaults through the API, on a real runtime (`chainctl daemon` and `serve --stdio` processes, real PTYs)
// whose box-wide config gives every agent step a 300 ms idle timeout: no step in these chains sets one of its own.
let t: TestApp;
let runtime: LocalRuntime;
let sync: BoxSync;
let tenant: SignedUp;
let foreign: SignedUp;
let boxId: string;
let operatorToken: string;

const ARTICLE = `name: article
defaults: { idle_timeout: 30s }
agents:
  research: { run: 'echo "otters hold hands while they sleep"' }
  outline: { needs: [research], run: "sh -c 'cat; echo done'" }
  examples: { needs: [research], run: "sh -c 'cat; echo done'" }
`;
const STUCK = 'name: stuck\nagents:\n  wait: { retries: 1, backoff: 10ms, run: sleep 30 }\n';

beforeAll(async () => {
  runtime = createLocalRuntime('api-defaults-');
  writeFileSync(join(runtime.root, 'config.json'), JSON.stringify({ idle_timeout: '300ms', timeout: '10m' }));
  await runtime.startDaemon();
  t = await startTenantTestApp({ boxConnector: () => localGatewayConnector(() => runtime.serve) });
  sync = new BoxSync(t, t.boxes);
  tenant = await signUp(t.app, 'defaults');
  foreign = await signUp(t.app, 'defaults-foreign');
  boxId = (await t.prisma.box.create({ data: { tenantId: tenant.tenantId, provider: 'local', status: 'ready' } })).id;
  await sync.claim(boxId, tenant.tenantId);
  for (const definition of [ARTICLE, STUCK]) {
    const reply = await post('/v1/chains', { definition });
    expect(reply.statusCode).toBe(201);
  }
  await createOperator(t.prisma, 'alerts-ops@example.com', 'correct horse battery staple');
  operatorToken = await loginAs(t.app, 'alerts-ops@example.com', 'correct horse battery staple');
}, 60_000);

afterAll(async () => {
  await sync?.close();
  await t?.close();
  await runtime?.cleanup();
});

const get = (url: string, headers = tenant.headers) => t.app.inject({ method: 'GET', url, headers });
const operatorGet = (url: string) => get(url, { authorization: `Bearer ${operatorToken}` });
function post(url: string, payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url, headers: tenant.headers, payload });
}

async function runUntilOver(chain: string) {
  const started = await post('/v1/runs', { chain });
  expect(started.statusCode).toBe(201);
  const runId = started.json().id as string;
  return sync.until(`run ${runId} over`, boxId, tenant.tenantId, async () => {
    const run = (await get(`/v1/runs/${runId}`)).json();
    return ['succeeded', 'failed', 'canceled'].includes(run.status) ? run : undefined;
  });
}

describe('runtime defaults through the API', () => {
  it("finishes steps that need another and have no input: each reads its upstream's output on stdin", async () => {
    const run = await runUntilOver('article');
    expect(run.status).toBe('succeeded');
    for (const step of ['outline', 'examples']) {
      const output = await get(`/v1/runs/${run.id}/steps/${step}/output`);
      expect(output.statusCode).toBe(200);
      expect(output.body).toBe('otters hold hands while they sleep\ndone\n');
    }
  });

  it('kills a silent step at the box-wide idle timeout and shows one deduplicated alert to its tenant and operators only', async () => {
    const run = await runUntilOver('stuck');
    expect(run.status).toBe('failed');
    const step = run.steps.find((s: { name: string }) => s.name === 'wait');
    expect(step.error).toMatch(/^no terminal output for 300ms: killed by the watchdog/);

    // Two kills of the same step (the attempt and its retry) are one open alert, counted twice.
    const mine = await get('/v1/alerts');
    expect(mine.statusCode).toBe(200);
    expect(mine.json().alerts).toEqual([
      expect.objectContaining({
        boxId,
        severity: 'warning',
        code: 'watchdog_killed',
        status: 'open',
        occurrences: 2,
        message: expect.stringContaining('no terminal output for 300ms; killing the agent'),
        details: expect.objectContaining({
          reason: 'idle',
          limit: '300ms',
          step: 'wait',
          chain: 'stuck',
          runId: run.id,
        }),
      }),
    ]);
    expect(mine.json().alerts[0]).not.toHaveProperty('tenantId');
    const row = await t.prisma.alert.findFirstOrThrow({ where: { code: 'watchdog_killed', boxId } });
    expect(row).toMatchObject({ tenantId: tenant.tenantId, occurrences: 2, status: 'open' });

    // Another workspace sees none of it, whichever filter it tries.
    const theirs = await get('/v1/alerts?status=open', foreign.headers);
    expect(theirs.statusCode).toBe(200);
    expect(theirs.json().alerts).toEqual([]);

    // Operators see it with its tenant, and their filters narrow it.
    const ops = await operatorGet(`/v1/operator/alerts?tenantId=${tenant.tenantId}&code=watchdog_killed&status=open`);
    expect(ops.statusCode).toBe(200);
    expect(ops.json().alerts).toEqual([expect.objectContaining({ id: row.id, tenantId: tenant.tenantId, boxId })]);
    expect((await operatorGet(`/v1/operator/alerts?boxId=${boxId}`)).json().alerts).toHaveLength(1);
    expect((await operatorGet(`/v1/operator/alerts?tenantId=${foreign.tenantId}`)).json().alerts).toEqual([]);
    expect((await operatorGet(`/v1/operator/alerts?boxId=${boxId}&status=resolved`)).json().alerts).toEqual([]);
    expect((await operatorGet(`/v1/operator/alerts?boxId=${boxId}&code=host_key_changed`)).json().alerts).toEqual([]);
    // Only operators read the operator list.
    expect((await get('/v1/operator/alerts')).statusCode).toBe(401);

    // The same condition again while the alert is open: the same row, counted on.
    await runUntilOver('stuck');
    const again = (await get('/v1/alerts')).json().alerts;
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ id: row.id, occurrences: 4 });

    // Once resolved, the next kill opens a new alert; pages come newest first.
    await t.prisma.alert.update({ where: { id: row.id }, data: { status: 'resolved', resolvedAt: new Date() } });
    const third = await runUntilOver('stuck');
    const first = (await get('/v1/alerts?limit=1')).json();
    expect(first.alerts).toEqual([
      expect.objectContaining({
        status: 'open',
        occurrences: 2,
        details: expect.objectContaining({ runId: third.id }),
      }),
    ]);
    const second = (await get(`/v1/alerts?limit=1&cursor=${first.nextCursor}`)).json();
    expect(second.alerts).toEqual([expect.objectContaining({ id: row.id, status: 'resolved' })]);
    expect(second.nextCursor).toBeNull();
    expect((await get('/v1/alerts?status=open')).json().alerts).toHaveLength(1);
  });

  it('refuses bad alert queries with a 400 naming the field', async () => {
    const bad = await get('/v1/alerts?status=closed');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('validation_failed');
    const cursor = await get('/v1/alerts?cursor=bm9wZQ');
    expect(cursor.statusCode).toBe(400);
    const ops = await operatorGet('/v1/operator/alerts?tenantId=nope');
    expect(ops.statusCode).toBe(400);
  });
});
