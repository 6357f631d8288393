import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { bootstrapBox, boxServeCommand, buildRuntimeRelease, deployToBox, type SshPool } from '@paddock/fleet';
import { BoxGateway, sshGatewayConnector } from '@paddock/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { createTestFleet, type TestFleet } from '../fleet/support/test-boxes';
import { BoxSync, priceUsageModels, REVIEW_CHAIN } from './runs-support';
import { registerTestBox, type SignedUp, signUp, startTenantTestApp } from './support';

// The whole path over real SSH: the real runtime release deployed to a test box (sshd on loopback), the API
// reaching it the production way (box row → decrypted key → pinned host key → `paddock-service serve`).
let fleet: TestFleet;
let pool: SshPool;
let outDir: string;
let t: TestApp;
let sync: BoxSync;
let tenant: SignedUp;
let boxId: string;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'paddock-api-runs-ssh-'));
  fleet = await createTestFleet(1);
  const box = fleet.boxes[0];
  if (!box) throw new Error('no test box');
  pool = fleet.pool();
  const release = await buildRuntimeRelease({
    runtimeDir: join(import.meta.dirname, '../../packages/runtime'),
    outDir: join(outDir, 'rt-api'),
    version: 'rt-api',
    node: { kind: 'system' },
  });
  await bootstrapBox({ pool, target: fleet.target(box), systemNode: true });
  const deployed = await deployToBox({ pool, target: fleet.target(box), release, deployId: 'api-runs' });
  expect(deployed.outcome).toBe('succeeded');

  t = await startTenantTestApp();
  sync = new BoxSync(t, t.boxes);
  tenant = await signUp(t.app, 'ssh-runs');
  boxId = await registerTestBox(t, tenant.tenantId, box, fleet.loginKey);
  await sync.claim(boxId, tenant.tenantId);
  await priceUsageModels(t.prisma);
}, 240_000);

afterAll(async () => {
  await sync?.close();
  await t?.close();
  await fleet?.destroy();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

const get = (url: string) => t.app.inject({ method: 'GET', url, headers: tenant.headers });
const post = (url: string, payload?: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url, headers: tenant.headers, ...(payload ? { payload } : {}) });

describe('runs and decisions over SSH on a deployed box', () => {
  it('starts a run, judges its decision with the draft read over SSH, approves it, and the run completes', async () => {
    expect((await post('/v1/chains', { definition: REVIEW_CHAIN })).statusCode).toBe(201);
    const started = await post('/v1/runs', { chain: 'review', inputs: { topic: 'herons' } });
    expect(started.statusCode).toBe(201);
    const runId = started.json().id as string;

    const decision = await sync.until('the pending decision', boxId, tenant.tenantId, async () => {
      const list = (await get(`/v1/decisions?runId=${runId}`)).json();
      return list.decisions[0] as { id: string; output: { text: string } | null } | undefined;
    });
    expect(decision.output?.text).toBe('draft about herons\n');

    const sentAt = performance.now();
    const approved = await post(`/v1/decisions/${decision.id}`, { choice: 'approve', note: 'over ssh' });
    // The API answers only after the box wrote the decision: this is the decision's way to the box, at most.
    console.info(
      `decision through the API recorded on the box over SSH in ${(performance.now() - sentAt).toFixed(1)} ms`,
    );
    expect(approved.statusCode).toBe(200);
    const by = approved.json().decidedBy.label as string;
    // Recorded on the box when the API answered, with who decided.
    const onBox = await t.boxes.request(boxId, { op: 'status', run_id: runId });
    expect(onBox.steps.find((s) => s.step === 'review')?.decision).toMatchObject({
      option: 'approve',
      by,
      note: 'over ssh',
    });

    const run = await sync.until('the run to succeed', boxId, tenant.tenantId, async () => {
      const detail = (await get(`/v1/runs/${runId}`)).json();
      return detail.status === 'succeeded' ? detail : undefined;
    });
    expect(run).toMatchObject({ tokensIn: 30, tokensOut: 3, costMicros: '3000' });
    const output = await get(`/v1/runs/${runId}/steps/publish/output`);
    expect(output.statusCode).toBe(200);
    expect(output.body).toBe('published\n');
    const stored = await t.prisma.decision.findUniqueOrThrow({ where: { id: decision.id } });
    expect(stored).toMatchObject({ status: 'approved', note: 'over ssh', decidedByUserId: tenant.userId });

    // The channel survives a dropped SSH connection: the next request reopens it.
    const box = fleet.boxes[0];
    if (!box) throw new Error('no test box');
    expect(await box.dropConnections()).toBeGreaterThan(0);
    const after = await get(`/v1/runs/${runId}/steps/draft/output`);
    expect(after.statusCode).toBe(200);
    expect(after.body).toBe('draft about herons\n');

    // The pool notices a drop only when it reads the socket's close, which can come after the next request took the
    // dropped connection (in the API, whenever the box's sshd dies slower than the request's database queries: a
    // loaded machine). Here both ways of reaching the box follow the drop at once, over the fleet's pool, so they
    // meet that connection every time: each must be asked again on a fresh one, never answered 503.
    const { runtimeRunId } = await t.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    const connector = sshGatewayConnector({
      ssh: pool,
      target: async () => fleet.target(box),
      serveCommand: boxServeCommand(),
    });
    for (let drop = 0; drop < 5; drop++) {
      const direct = new BoxGateway({ connector }); // no serve channel open yet: the request opens one
      try {
        await pool.connect(fleet.target(box)); // the pooled connection the drop cuts
        expect(await box.dropConnections()).toBeGreaterThan(0);
        const [file, listed] = await Promise.all([
          direct.readStepOutput(boxId, runtimeRunId as string, 'draft', 1000),
          direct.request(boxId, { op: 'list' }),
        ]);
        expect({ drop, text: file && (await text(file.stream)) }).toEqual({ drop, text: 'draft about herons\n' });
        expect(listed.runs.map((r) => r.run_id)).toContain(runtimeRunId);
      } finally {
        await direct.close();
      }
    }
    const list = await t.boxes.request(boxId, { op: 'list' });
    expect(list.runs.map((r) => r.run_id)).toContain(runId);
  }, 180_000);
});
