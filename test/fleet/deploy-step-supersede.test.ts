import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapBox, type LocalRelease, SshPool } from '@paddock/fleet';
import { loadBoxTarget, type ProvisioningDeps } from '@paddock/services';
import { Pool } from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../apps/api/src/test-app';
import { deployReleaseStep } from '../../packages/services/src/provisioning/steps/deploy-release-step';
import { registerTestBox, type SignedUp, signUp, startTenantTestApp } from '../tenant/support';
import { createTestFleet, type TestFleet } from './support/test-boxes';
import { buildTestRelease } from './support/test-release';

// The provisioning deploy step's clean-up of what a killed worker leaves: its deploy row created, the worker gone
// before the deploy started, so the row says `queued` for ever. The step's next run closes such a row as superseded
// once its own deploy has landed, and touches nothing else. Laid out directly (the row as the dead worker left it)
// instead of hoping a SIGKILL lands between the insert and the deploy.
let t: TestApp;
let pg: Pool;
let fleet: TestFleet;
let ssh: SshPool;
let tenant: SignedUp;
let boxId: string;
let deps: ProvisioningDeps;
let release: LocalRelease;
let releaseId: string;
let releaseDir: string;

beforeAll(async () => {
  releaseDir = mkdtempSync(join(tmpdir(), 'paddock-supersede-'));
  [t, fleet] = await Promise.all([startTenantTestApp(), createTestFleet(1)]);
  pg = new Pool({ connectionString: t.databaseUrl, max: 2 });
  ssh = new SshPool({ timeouts: { connectMs: 10_000, commandMs: 60_000 } });
  tenant = await signUp(t.app, 'supersede');
  const box = fleet.boxes[0]!;
  boxId = await registerTestBox(t, tenant.tenantId, box, fleet.loginKey);
  await t.prisma.box.update({ where: { id: boxId }, data: { status: 'bootstrapping' } });
  await bootstrapBox({ pool: ssh, target: await loadBoxTarget(pg, t.vault, boxId), systemNode: true });
  release = await buildTestRelease(releaseDir, { version: 'sup-1' });
  releaseId = (
    await t.prisma.release.create({
      data: {
        version: 'sup-1',
        manifestHash: release.digest,
        manifest: JSON.parse(JSON.stringify(release.manifest)),
        runtimeVersion: 'sup-1',
        sizeBytes: BigInt(release.totalBytes),
        fileCount: release.manifest.files.length,
        promotedAt: new Date(),
      },
    })
  ).id;
  deps = {
    prisma: t.prisma,
    queues: t.queues,
    pg,
    vault: t.vault,
    ssh,
    providers: {},
    releaseDir,
    systemNode: true,
  };
}, 120_000);

afterAll(async () => {
  await ssh?.close(2_000);
  await fleet?.destroy();
  await pg?.end();
  await t?.close();
  if (releaseDir) rmSync(releaseDir, { recursive: true, force: true });
});

function stepContext() {
  return {
    prisma: t.prisma,
    workflowId: tenant.workflowId,
    tenantId: tenant.tenantId,
    boxId,
    outputs: {},
    attempt: 2,
    signal: new AbortController().signal,
    logger: pino({ level: 'silent' }),
  };
}

describe('the provisioning deploy step after a worker was killed in it', () => {
  it('closes the row its dead worker left queued as superseded, and nothing else', async () => {
    const base = { boxId, tenantId: tenant.tenantId, releaseId, previousReleaseId: null };
    // What the killed worker left: its row, created before this run's, never started.
    const abandoned = await t.prisma.deploy.create({ data: { ...base, createdAt: new Date(Date.now() - 60_000) } });
    // Not this step's to close: a row that started (a deploy may be under way: the box's lock lease decides), a
    // rollout's queued row, and a queued row newer than this run's (another run that has not deployed yet).
    const started = await t.prisma.deploy.create({
      data: { ...base, status: 'running', startedAt: new Date(), createdAt: new Date(Date.now() - 50_000) },
    });
    const rollout = await t.prisma.rollout.create({
      data: { releaseId, status: 'running', canarySize: 1, concurrency: 1, maxFailureBps: 0 },
    });
    const rolloutRow = await t.prisma.deploy.create({
      data: { ...base, rolloutId: rollout.id, createdAt: new Date(Date.now() - 40_000) },
    });
    const newer = await t.prisma.deploy.create({ data: { ...base, createdAt: new Date(Date.now() + 60_000) } });

    const first = await deployReleaseStep(deps, stepContext());
    expect(first).toMatchObject({ release: 'sup-1', outcome: 'succeeded' });

    const rows = new Map((await t.prisma.deploy.findMany({ where: { boxId } })).map((d) => [d.id, d] as const));
    expect(rows.get(first.deployId)).toMatchObject({ status: 'succeeded' });
    expect(rows.get(abandoned.id)).toMatchObject({
      status: 'canceled',
      error: `superseded by deploy ${first.deployId}: the provisioning step ran again after its worker stopped`,
    });
    expect(rows.get(abandoned.id)?.finishedAt).toBeInstanceOf(Date);
    for (const untouched of [started, rolloutRow, newer]) {
      expect(rows.get(untouched.id)).toMatchObject({ status: untouched.status, finishedAt: null, error: null });
    }
    // The box runs the release: its `current` link (read from the host) and its row say so.
    expect(readlinkSync(fleet.boxes[0]!.pathOnHost('/opt/paddock/current'))).toContain('sup-1');
    expect(await t.prisma.box.findUniqueOrThrow({ where: { id: boxId } })).toMatchObject({
      currentReleaseId: releaseId,
    });

    // The step once more (at-least-once): the box already runs the release, and the earlier run's row stays
    // succeeded (only never-started rows are closed).
    const again = await deployReleaseStep(deps, stepContext());
    expect(again.outcome).toBe('unchanged');
    const after = await t.prisma.deploy.findMany({ where: { boxId, status: 'queued' } });
    expect(after.map((d) => d.id).sort()).toEqual([rolloutRow.id, newer.id].sort());
    expect(await t.prisma.deploy.findUniqueOrThrow({ where: { id: first.deployId } })).toMatchObject({
      status: 'succeeded',
    });
    expect(await t.prisma.deploy.findUniqueOrThrow({ where: { id: again.deployId } })).toMatchObject({
      status: 'succeeded',
    });
  });
});
