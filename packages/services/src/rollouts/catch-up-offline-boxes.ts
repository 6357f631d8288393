import { randomUUID } from 'node:crypto';
import type { Logger } from '@paddock/platform';
import { deployToBox, type FleetRecorder } from '@paddock/fleet';
import { loadBoxTarget } from '../boxes/box-target';
import { createPrismaDeployLock } from '../deploys/prisma-deploy-lock';
import { createPrismaFleetRecorder } from '../deploys/prisma-fleet-recorder';
import { loadCurrentRelease } from '../releases/current-release';
import { refreshCounts } from './advance-rollout';
import type { RolloutDeps } from './rollout-deps';
import { withRolloutLock } from './rollout-lock';

export interface CaughtUpBox {
  boxId: string;
  outcome: 'caught_up' | 'failed';
  release: string;
  error?: string;
}

const ACTIVE_ROLLOUT = ['pending', 'running', 'paused', 'rolling_back'] as const;

/**
 * The `fleet.catch-up` job (repeated every minute): boxes that were `offline` in a rollout that succeeded and
 * answer again (`ready` or `unhealthy`) get the promoted release, one box after another, through the same careful
 * deploy as a rollout (deploy lock, health, rollback on failure). Their offline rows become `caught_up` (the
 * rollout's release is the one deployed) or `superseded` (a newer release was promoted meanwhile); a failed deploy
 * leaves them offline, with the error, for the next run. Nothing happens while a rollout is active: it owns the
 * fleet's deploys, and its own offline boxes catch up once it succeeded. Idempotent: a box already on the release
 * reports `unchanged` and counts as caught up; runs take one advisory lock, so two never overlap.
 */
export async function catchUpOfflineBoxes(
  deps: RolloutDeps,
  options: { limit?: number } = {},
  context: { logger?: Logger } = {},
): Promise<CaughtUpBox[]> {
  // One catch-up at a time (the schedule and an enqueued run may meet): the second waits, then finds the boxes the
  // first moved no longer offline, so no box is deployed twice.
  return withRolloutLock({ pg: deps.pg }, 'fleet-catch-up', () => catchUpLocked(deps, options, context));
}

async function catchUpLocked(
  deps: RolloutDeps,
  options: { limit?: number },
  context: { logger?: Logger },
): Promise<CaughtUpBox[]> {
  const active = await deps.prisma.rollout.count({ where: { status: { in: [...ACTIVE_ROLLOUT] } } });
  if (active > 0) return [];
  const rows = await deps.prisma.rolloutBox.findMany({
    where: {
      status: 'offline',
      rollout: { status: 'succeeded' },
      box: { status: { in: ['ready', 'unhealthy'] }, destroyedAt: null },
    },
    select: { boxId: true },
    distinct: ['boxId'],
    take: options.limit ?? 50,
  });
  if (rows.length === 0) return [];
  const { release, local } = await loadCurrentRelease({ prisma: deps.prisma }, deps.releaseDir);
  const recorder = createPrismaFleetRecorder({ prisma: deps.prisma });
  const lockProvider = createPrismaDeployLock({ prisma: deps.prisma });
  const outcomes: CaughtUpBox[] = [];
  for (const { boxId } of rows) {
    let error: string | undefined;
    try {
      const result = await deployToBox({
        pool: deps.ssh,
        target: await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, boxId),
        release: local,
        deployId: randomUUID(),
        recorder: deps.recorder ? both(recorder, deps.recorder) : recorder,
        lockProvider,
        lockWaitMs: 60_000,
        ...(deps.layout ? { layout: deps.layout } : {}),
        ...(deps.health ? { health: deps.health } : {}),
      });
      if (result.outcome !== 'succeeded' && result.outcome !== 'unchanged') {
        error = `${result.outcome}: ${result.error?.message ?? 'no detail'}`;
      }
    } catch (caught) {
      error = (caught as Error).message;
    }
    const offline = await deps.prisma.rolloutBox.findMany({
      where: { boxId, status: 'offline', rollout: { status: 'succeeded' } },
      select: { rolloutId: true, rollout: { select: { releaseId: true } } },
    });
    for (const row of offline) {
      const data = error
        ? { error: `catch-up failed (retried): ${error}`.slice(0, 2_000) }
        : {
            status: row.rollout.releaseId === release.id ? 'caught_up' : 'superseded',
            error: null,
            finishedAt: new Date(),
          };
      await deps.prisma.rolloutBox.updateMany({ where: { rolloutId: row.rolloutId, boxId, status: 'offline' }, data });
      await refreshCounts({ prisma: deps.prisma }, row.rolloutId);
    }
    if (error) context.logger?.warn({ boxId, release: release.version, error }, 'catch-up deploy failed');
    else context.logger?.info({ boxId, release: release.version }, 'offline box caught up');
    outcomes.push({
      boxId,
      release: release.version,
      outcome: error ? 'failed' : 'caught_up',
      ...(error ? { error } : {}),
    });
  }
  return outcomes;
}

function both(first: FleetRecorder, second: FleetRecorder): FleetRecorder {
  return {
    async record(event) {
      await first.record(event);
      await second.record(event);
    },
  };
}
