import { randomUUID } from 'node:crypto';
import { AppError } from '@paddock/contracts';
import type { DeployStatus, PrismaClient } from '@paddock/db';
import type { FleetEvent } from '@paddock/fleet';
import type { ServiceClients } from '../clients';

type Started = Extract<FleetEvent, { type: 'deploy.started' }>;
type Step = Extract<FleetEvent, { type: 'deploy.step' }>;
type Finished = Extract<FleetEvent, { type: 'deploy.finished' }>;
type Progress = Extract<FleetEvent, { type: 'rollout.progress' }>;
type Stopped = Extract<FleetEvent, { type: 'rollout.stopped' }>;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// rolloutRelease names each box's deploy `<rolloutId>-<index>`: with a Rollout row's id, the deploy joins it.
const ROLLOUT_DEPLOY = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-\d+$/i;

export interface DeployRowContext {
  rolloutId?: string;
  requestedByUserId?: string;
  logTailChars: number;
}

export interface DeployRowRef {
  id: string;
  boxId: string;
  tenantId: string | null;
  kind: 'deploy' | 'rollback';
}

/**
 * The Deploy row of a fleet deploy, opened at `deploy.started`: the deploy id is the row id when it is a uuid (a
 * caller that made the row first), otherwise a new row is made. The box and the release must exist: a deploy of an
 * unknown release or to an unknown box is refused before anything touches the box.
 */
export async function openDeployRow(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  event: Started,
  context: DeployRowContext,
) {
  if (!UUID.test(event.boxId)) throw new AppError('bad_request', `box id must be a box row's uuid, got ${event.boxId}`);
  const [box, release] = await Promise.all([
    prisma.box.findUnique({ where: { id: event.boxId }, select: { tenantId: true } }),
    prisma.release.findUnique({ where: { version: event.version }, select: { id: true } }),
  ]);
  if (!box) throw new AppError('not_found', `box ${event.boxId} not found`);
  if (!release) throw new AppError('not_found', `release ${event.version} is not published`);
  const rolloutId = context.rolloutId ?? (await rolloutOf(prisma, event.deployId));
  const id = UUID.test(event.deployId) ? event.deployId : randomUUID();
  const now = new Date();
  await prisma.deploy.upsert({
    where: { id },
    create: {
      id,
      boxId: event.boxId,
      tenantId: box.tenantId,
      releaseId: release.id,
      rolloutId: rolloutId ?? null,
      kind: event.kind,
      status: 'running',
      attempts: 1,
      requestedByUserId: context.requestedByUserId ?? null,
      startedAt: now,
    },
    update: { status: 'running', startedAt: now, finishedAt: null, error: null, attempts: { increment: 1 } },
  });
  return { id, boxId: event.boxId, tenantId: box.tenantId, kind: event.kind } satisfies DeployRowRef;
}

async function rolloutOf(prisma: PrismaClient, deployId: string): Promise<string | undefined> {
  const match = ROLLOUT_DEPLOY.exec(deployId);
  if (!match?.[1]) return undefined;
  const rollout = await prisma.rollout.findUnique({ where: { id: match[1] }, select: { id: true } });
  return rollout?.id;
}

/** Each step lands in the row's log tail as it happens, so the console shows a deploy in flight. */
export async function appendDeployStep(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  row: DeployRowRef,
  event: Step,
  tailChars: number,
) {
  const line = `@@step ${event.step} ${event.status}${event.detail ? ` ${event.detail}` : ''}\n`;
  await prisma.$executeRaw`
    UPDATE deploys SET log_tail = right(log_tail || ${line}, ${tailChars}), updated_at = now()
     WHERE id = ${row.id}::uuid`;
}

const STATUS: Record<Finished['outcome'], DeployStatus> = {
  succeeded: 'succeeded',
  unchanged: 'succeeded',
  rolled_back: 'rolled_back',
  failed: 'failed',
};

/** Closes the row, and moves the box's current release to what the box now runs (when that is known). */
export async function closeDeployRow(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  row: DeployRowRef,
  event: Finished,
  tailChars: number,
) {
  const versions = [event.previousVersion, event.activeVersion].filter((v): v is string => v !== null);
  const releases = await prisma.release.findMany({
    where: { version: { in: versions } },
    select: { id: true, version: true },
  });
  const releaseOf = (version: string | null) => releases.find((r) => r.version === version)?.id ?? null;
  await prisma.$transaction([
    prisma.deploy.update({
      where: { id: row.id },
      data: {
        status: STATUS[event.outcome],
        finishedAt: new Date(),
        previousReleaseId: releaseOf(event.previousVersion),
        filesUploaded: event.filesUploaded,
        bytesSent: BigInt(event.bytesUploaded),
        logTail: event.logTail.slice(-tailChars),
        error: event.error ? `${event.error.failure}: ${event.error.message}` : null,
      },
    }),
    ...(event.activeVersion
      ? [
          prisma.box.update({
            where: { id: row.boxId },
            data: { runtimeVersion: event.activeVersion, currentReleaseId: releaseOf(event.activeVersion) },
          }),
        ]
      : []),
  ]);
}

/** Rollout rows follow their progress: counts as boxes finish, `succeeded` at the end, `halted` when stopped. */
export async function recordRolloutProgress(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  event: Progress,
): Promise<void> {
  if (!UUID.test(event.rolloutId)) return;
  const finished = event.done >= event.total;
  const now = new Date();
  await prisma.$executeRaw`
    UPDATE rollouts
       SET total_boxes = ${event.total}, succeeded_boxes = ${event.done - event.failed}, failed_boxes = ${event.failed},
           started_at = coalesce(started_at, ${now}),
           status = CASE WHEN status IN ('halted', 'canceled') THEN status
                         WHEN ${finished} THEN 'succeeded'::rollout_status ELSE 'running'::rollout_status END,
           finished_at = CASE WHEN ${finished} THEN coalesce(finished_at, ${now}) ELSE finished_at END
     WHERE id = ${event.rolloutId}::uuid`;
}

export async function recordRolloutStopped({ prisma }: Pick<ServiceClients, 'prisma'>, event: Stopped): Promise<void> {
  if (!UUID.test(event.rolloutId)) return;
  await prisma.rollout.updateMany({
    where: { id: event.rolloutId },
    data: { status: 'halted', finishedAt: new Date() },
  });
}
