import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@paddock/db';
import { deployToBox, type FleetEvent, type FleetRecorder, rollbackBox } from '@paddock/fleet';
import type { Logger } from '@paddock/platform';
import { loadBoxTarget } from '../boxes/box-target';
import { createPrismaDeployLock } from '../deploys/prisma-deploy-lock';
import { createPrismaFleetRecorder } from '../deploys/prisma-fleet-recorder';
import { loadLocalRelease } from '../releases/current-release';
import { stopReason } from './plan-batches';
import type { RolloutDeps } from './rollout-deps';
import { notifyRolloutChanged } from './rollout-changes';
import { enqueueRolloutAdvance } from './rollout-jobs';
import { withRolloutLock } from './rollout-lock';
import type { ServiceClients } from '../clients';

export type AdvanceRolloutResult =
  | { rolloutId: string; outcome: 'batch_done'; batch: number; next: number | null }
  | { rolloutId: string; outcome: 'finished'; status: string }
  | { rolloutId: string; outcome: 'skipped'; reason: string };

const ACTIVE_BOX = ['pending', 'deploying'];

/**
 * The `rollout.advance` job: deploys the rollout's current batch, box by box under its concurrency, then decides:
 * stop and roll back (a canary failure, or the failure threshold), the next batch (its own job), or done (the
 * release is promoted: new boxes get it). Durable by construction: each box's row moves pending -> deploying ->
 * succeeded | failed, written before and after the deploy, and the job holds the rollout's advisory lock, so a
 * worker that takes the job over after a crash redoes only the box that was in flight (its deploy id is kept, the
 * deploy is idempotent and a box already on the release reports `unchanged`); jobs of one rollout run one after
 * another (the lock), each going on from the state it finds.
 */
export async function advanceRollout(
  deps: RolloutDeps,
  payload: { rolloutId: string },
  context: { logger?: Logger } = {},
): Promise<AdvanceRolloutResult> {
  const { rolloutId } = payload;
  return withRolloutLock({ pg: deps.pg }, rolloutId, () => advanceLocked(deps, rolloutId, context.logger));
}

async function advanceLocked(deps: RolloutDeps, rolloutId: string, logger?: Logger): Promise<AdvanceRolloutResult> {
  const rollout = await deps.prisma.rollout.findUnique({ where: { id: rolloutId }, include: { release: true } });
  if (!rollout) return { rolloutId, outcome: 'skipped', reason: 'no such rollout' };
  if (rollout.status === 'rolling_back') return rollBack(deps, rolloutId, logger);
  if (rollout.status !== 'pending' && rollout.status !== 'running') {
    return { rolloutId, outcome: 'skipped', reason: `rollout is ${rollout.status}` };
  }
  if (rollout.status === 'pending') {
    await deps.prisma.rollout.updateMany({
      where: { id: rolloutId, status: 'pending' },
      data: { status: 'running', startedAt: new Date() },
    });
  }
  const local = await loadLocalRelease(deps.releaseDir, rollout.release.version);
  const batch = rollout.currentBatch;
  const boxes = await deps.prisma.rolloutBox.findMany({
    where: { rolloutId, batch, status: { in: ACTIVE_BOX } },
    orderBy: { position: 'asc' },
  });
  const recorder = rolloutRecorder(deps, rolloutId);
  const lockProvider = createPrismaDeployLock({ prisma: deps.prisma });
  let next = 0;
  const worker = async () => {
    while (next < boxes.length) {
      // Pause and abort take effect between boxes: in-flight deploys finish, no new one starts.
      if (!(await stillRunning(deps.prisma, rolloutId))) return;
      const row = boxes[next++]!;
      // A box that stopped answering since the rollout started is not deployed (nor counted as failed): it is
      // `offline` and catches up when it returns.
      const gone = await deps.prisma.rolloutBox.updateMany({
        where: { rolloutId, boxId: row.boxId, status: 'pending', box: { status: 'unreachable' } },
        data: { status: 'offline', error: 'unreachable when its turn came: gets the release when it returns' },
      });
      if (gone.count > 0) {
        await refreshCounts({ prisma: deps.prisma }, rolloutId);
        continue;
      }
      const deployId = row.deployId ?? randomUUID();
      // What the box ran before, as the control plane knows it: where a rollback puts it back, even when a crash
      // leaves the box's deploy unreported.
      const before = row.previousReleaseId
        ? null
        : await deps.prisma.box.findUnique({ where: { id: row.boxId }, select: { currentReleaseId: true } });
      const claimed = await deps.prisma.rolloutBox.updateMany({
        where: { rolloutId, boxId: row.boxId, status: { in: ACTIVE_BOX } },
        data: {
          status: 'deploying',
          deployId,
          startedAt: row.startedAt ?? new Date(),
          ...(before?.currentReleaseId ? { previousReleaseId: before.currentReleaseId } : {}),
        },
      });
      if (claimed.count === 0) continue;
      await notifyRolloutChanged({ prisma: deps.prisma }, rolloutId);
      const status = await deployOneBox(deps, { rolloutId, boxId: row.boxId, deployId, local, recorder, lockProvider });
      await refreshCounts({ prisma: deps.prisma }, rolloutId);
      // A failure that crosses the threshold stops the rollout at once: no other box of the batch starts.
      if (status === 'failed') await stopIfPastThreshold(deps.prisma, rolloutId, logger);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(rollout.concurrency, boxes.length)) }, worker));
  await refreshCounts({ prisma: deps.prisma }, rolloutId);
  return decide(deps, rolloutId, batch, logger);
}

async function deployOneBox(
  deps: RolloutDeps,
  job: {
    rolloutId: string;
    boxId: string;
    deployId: string;
    local: Awaited<ReturnType<typeof loadLocalRelease>>;
    recorder: FleetRecorder;
    lockProvider: ReturnType<typeof createPrismaDeployLock>;
  },
): Promise<'succeeded' | 'failed'> {
  let status: 'succeeded' | 'failed' = 'failed';
  let error: string | null = null;
  let previousVersion: string | null = null;
  try {
    const target = await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, job.boxId);
    const result = await deployToBox({
      pool: deps.ssh,
      target,
      release: job.local,
      deployId: job.deployId,
      recorder: job.recorder,
      lockProvider: job.lockProvider,
      lockWaitMs: 60_000,
      ...(deps.layout ? { layout: deps.layout } : {}),
      ...(deps.health ? { health: deps.health } : {}),
    });
    previousVersion = result.previousVersion;
    if (result.outcome === 'succeeded' || result.outcome === 'unchanged') status = 'succeeded';
    else error = `${result.outcome}: ${result.error?.message ?? 'no detail'}`;
  } catch (caught) {
    error = (caught as Error).message;
  }
  const previous = previousVersion
    ? await deps.prisma.release.findUnique({ where: { version: previousVersion }, select: { id: true } })
    : null;
  await deps.prisma.rolloutBox.updateMany({
    where: { rolloutId: job.rolloutId, boxId: job.boxId, status: 'deploying' },
    data: {
      status,
      error: error?.slice(0, 2_000) ?? null,
      finishedAt: new Date(),
      // A redone deploy finds the box already on the release: keep what it ran before the first try.
      ...(previous && previousVersion !== job.local.manifest.version ? { previousReleaseId: previous.id } : {}),
    },
  });
  return status;
}

/** Moves the rollout to `rolling_back` when its failures cross the threshold; answers whether it is stopping. */
async function stopIfPastThreshold(prisma: PrismaClient, rolloutId: string, logger?: Logger): Promise<boolean> {
  const rows = await prisma.rolloutBox.groupBy({
    by: ['batch', 'status'],
    where: { rolloutId, status: 'failed' },
    _count: { _all: true },
  });
  const failed = (canary: boolean) =>
    rows.filter((r) => (r.batch === 0) === canary).reduce((sum, r) => sum + r._count._all, 0);
  const { maxFailures } = await prisma.rollout.findUniqueOrThrow({ where: { id: rolloutId } });
  const reason = stopReason({ canaryFailed: failed(true), failedAfterCanary: failed(false) }, maxFailures);
  if (!reason) return false;
  const stopped = await prisma.rollout.updateMany({
    where: { id: rolloutId, status: { in: ['running', 'paused'] } },
    data: { status: 'rolling_back', reason },
  });
  if (stopped.count > 0) {
    logger?.warn({ rolloutId, reason }, 'rollout stopped: rolling back');
    await notifyRolloutChanged({ prisma }, rolloutId);
  }
  return true;
}

async function decide(
  deps: RolloutDeps,
  rolloutId: string,
  batch: number,
  logger?: Logger,
): Promise<AdvanceRolloutResult> {
  if (await stopIfPastThreshold(deps.prisma, rolloutId, logger)) return rollBack(deps, rolloutId, logger);
  const current = await deps.prisma.rollout.findUniqueOrThrow({ where: { id: rolloutId } });
  if (current.status === 'rolling_back') return rollBack(deps, rolloutId, logger);
  const unfinished = await deps.prisma.rolloutBox.count({
    where: { rolloutId, batch, status: { in: ACTIVE_BOX } },
  });
  // Paused (or boxes of this batch not started because of it): the resume enqueues the next turn.
  if (current.status !== 'running' || unfinished > 0) {
    return { rolloutId, outcome: 'batch_done', batch, next: null };
  }
  const later = await deps.prisma.rolloutBox.findFirst({
    where: { rolloutId, batch: { gt: batch }, status: 'pending' },
    orderBy: { batch: 'asc' },
    select: { batch: true },
  });
  if (later) {
    await deps.prisma.rollout.updateMany({
      where: { id: rolloutId, status: 'running', currentBatch: batch },
      data: { currentBatch: later.batch },
    });
    await enqueueRolloutAdvance(deps, rolloutId, `b${later.batch}`);
    return { rolloutId, outcome: 'batch_done', batch, next: later.batch };
  }
  const now = new Date();
  await deps.prisma.$transaction([
    deps.prisma.rollout.updateMany({
      where: { id: rolloutId, status: 'running' },
      data: { status: 'succeeded', finishedAt: now },
    }),
    deps.prisma.release.update({ where: { id: current.releaseId }, data: { promotedAt: now } }),
  ]);
  await notifyRolloutChanged({ prisma: deps.prisma }, rolloutId);
  logger?.info({ rolloutId }, 'rollout succeeded: release promoted');
  return { rolloutId, outcome: 'finished', status: 'succeeded' };
}

/**
 * Puts back every box this rollout moved (to the release it ran before), marks the boxes it never started as
 * skipped, then ends the rollout: `canceled` when an operator aborted it, `halted` when it stopped by itself.
 * Each box is one row update after its rollback, so a rollback taken over after a crash continues where it was.
 */
async function rollBack(deps: RolloutDeps, rolloutId: string, logger?: Logger): Promise<AdvanceRolloutResult> {
  // Offline boxes too: the rollout stopped, so there is no release for them to catch up with.
  await deps.prisma.rolloutBox.updateMany({
    where: { rolloutId, status: { in: ['pending', 'offline'] } },
    data: { status: 'skipped', finishedAt: new Date() },
  });
  const recorder = rolloutRecorder(deps, rolloutId);
  const lockProvider = createPrismaDeployLock({ prisma: deps.prisma });
  // A box whose deploy was in flight when the rollout stopped (a crash) may be on either release: roll it back too.
  const moved = await deps.prisma.rolloutBox.findMany({
    where: { rolloutId, status: { in: ['succeeded', 'deploying'] } },
  });
  for (const row of moved) {
    const previous = row.previousReleaseId
      ? await deps.prisma.release.findUnique({ where: { id: row.previousReleaseId } })
      : null;
    let error: string | null = null;
    try {
      const target = await loadBoxTarget({ pg: deps.pg, vault: deps.vault }, row.boxId);
      const result = await rollbackBox({
        pool: deps.ssh,
        target,
        deployId: row.deployId ? `${row.deployId}-rb` : randomUUID(),
        ...(previous ? { toVersion: previous.version } : {}),
        recorder,
        lockProvider,
        lockWaitMs: 60_000,
        ...(deps.layout ? { layout: deps.layout } : {}),
      });
      if (result.outcome !== 'succeeded' && result.outcome !== 'unchanged') {
        error = `rollback ${result.outcome}: ${result.error?.message ?? 'no detail'}`;
      }
    } catch (caught) {
      error = `rollback failed: ${(caught as Error).message}`;
    }
    await deps.prisma.rolloutBox.update({
      where: { rolloutId_boxId: { rolloutId, boxId: row.boxId } },
      data: error ? { status: 'failed', error: error.slice(0, 2_000) } : { status: 'reverted' },
    });
    if (error) logger?.error({ rolloutId, boxId: row.boxId, error }, 'rollout: a box could not be rolled back');
  }
  await refreshCounts({ prisma: deps.prisma }, rolloutId);
  const rollout = await deps.prisma.rollout.findUniqueOrThrow({ where: { id: rolloutId } });
  const status = rollout.reason?.startsWith('aborted') ? 'canceled' : 'halted';
  await deps.prisma.rollout.updateMany({
    where: { id: rolloutId, status: 'rolling_back' },
    data: { status, finishedAt: new Date() },
  });
  await notifyRolloutChanged({ prisma: deps.prisma }, rolloutId);
  return { rolloutId, outcome: 'finished', status };
}

async function stillRunning(prisma: PrismaClient, rolloutId: string): Promise<boolean> {
  const row = await prisma.rollout.findUnique({ where: { id: rolloutId }, select: { status: true } });
  return row?.status === 'running';
}

/** Counts on the rollout row follow its boxes' rows; every call is also the moment streams hear of it. */
export async function refreshCounts({ prisma }: Pick<ServiceClients, 'prisma'>, rolloutId: string): Promise<void> {
  await prisma.$executeRaw`
    UPDATE rollouts r
       SET succeeded_boxes = c.succeeded, failed_boxes = c.failed, rolled_back_boxes = c.reverted,
           offline_boxes = c.offline, updated_at = now()
      FROM (SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
                   count(*) FILTER (WHERE status = 'failed')::int AS failed,
                   count(*) FILTER (WHERE status = 'reverted')::int AS reverted,
                   count(*) FILTER (WHERE status = 'offline')::int AS offline
              FROM rollout_boxes WHERE rollout_id = ${rolloutId}::uuid) c
     WHERE r.id = ${rolloutId}::uuid`;
  await notifyRolloutChanged({ prisma }, rolloutId);
}

/** Deploy rows join the rollout; other fleet events also go to the worker's own recorder (alerts, metrics). */
function rolloutRecorder(deps: RolloutDeps, rolloutId: string): FleetRecorder {
  const rows = createPrismaFleetRecorder({ prisma: deps.prisma }, { rolloutId });
  const extra = deps.recorder;
  return {
    async record(event: FleetEvent) {
      await rows.record(event);
      if (extra) await extra.record(event);
    },
  };
}
