import { readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployReleaseStep } from '@paddock/services';
import { type DeployStepBox, startDeployStepBox } from './support/deploy-step-box';

// The provisioning deploy step's clean-up of what a killed worker leaves: its deploy row created, the worker gone
// before the deploy started, so the row says `queued` for ever. The step's next run closes such a row as superseded
// once its own deploy has landed, and touches nothing else. Laid out directly (the row as the dead worker left it)
// instead of hoping a SIGKILL lands between the insert and the deploy.
let s: DeployStepBox;
let releaseId: string;

beforeAll(async () => {
  s = await startDeployStepBox('supersede');
  releaseId = await s.publish({ version: 'sup-1' });
}, 120_000);

afterAll(() => s?.close());

describe('the provisioning deploy step after a worker was killed in it', () => {
  it('closes the row its dead worker left queued as superseded, and nothing else', async () => {
    const { t, boxId, deps } = s;
    const base = { boxId, tenantId: s.tenant.tenantId, releaseId, previousReleaseId: null };
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

    const first = await deployReleaseStep(deps, s.stepContext(2));
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
    expect(readlinkSync(s.box.pathOnHost('/opt/paddock/current'))).toContain('sup-1');
    expect(await t.prisma.box.findUniqueOrThrow({ where: { id: boxId } })).toMatchObject({
      currentReleaseId: releaseId,
    });

    // The step once more (at-least-once): the box already runs the release, and the earlier run's row stays
    // succeeded (only never-started rows are closed).
    const again = await deployReleaseStep(deps, s.stepContext(3));
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
