import type { PrismaClient } from '@paddock/db';
import type { BoxGateway } from '../boxes/box-gateway';
import { admitReopen } from '../limits/admit-reopen';
import { type RequestFacts, type TenantIdentity, tenantAuditEntry } from '../tenants/tenant-identity';
import { findTenantRun, onBox } from './find-run';
import { reopenReplayedRun } from './reopen-replayed-run';
import { RUN_SUMMARY_SELECT, type RunSummary, toRunSummary } from './run-replies';
import type { ServiceClients } from '../clients';

export interface RunActionResult {
  run: RunSummary;
  event: { seq: number; kind: string; step: string };
}

/**
 * Replays a run from one step on, on its box: the runtime runs that step and everything downstream again, as their
 * next attempts under the same run id, keeping the replaced ones as history (the collector folds the `replayed` event
 * into the run's rows). The answer is the run reopened (reopen-replayed-run.ts), not the state the replay replaced.
 */
export async function replayRun(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  boxes: BoxGateway,
  actor: TenantIdentity,
  runId: string,
  from: string,
  request: RequestFacts = {},
): Promise<RunActionResult> {
  const run = await findTenantRun({ prisma }, actor.tenantId, runId);
  const target = onBox(run);
  await admitReopen({ prisma }, actor.tenantId, run.id);
  const answer = await boxes.request(target.boxId, { op: 'replay', run_id: target.runtimeRunId, from });
  await reopenReplayedRun({ prisma }, run.id, answer.event.seq);
  return finish(prisma, actor, run.id, 'run.replay', { from, seq: answer.event.seq }, answer.event, request);
}

/** Cancels a run on its box: running steps are stopped, pending decisions end as canceled. */
export async function cancelRun(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  boxes: BoxGateway,
  actor: TenantIdentity,
  runId: string,
  request: RequestFacts = {},
): Promise<RunActionResult> {
  const run = await findTenantRun({ prisma }, actor.tenantId, runId);
  const target = onBox(run);
  const answer = await boxes.request(target.boxId, { op: 'cancel', run_id: target.runtimeRunId });
  return finish(prisma, actor, run.id, 'run.cancel', { seq: answer.event.seq }, answer.event, request);
}

async function finish(
  prisma: PrismaClient,
  actor: TenantIdentity,
  runId: string,
  action: string,
  details: Record<string, string | number>,
  event: { seq: number; kind: string; step: string },
  request: RequestFacts,
): Promise<RunActionResult> {
  await prisma.auditLog.create({ data: tenantAuditEntry(actor, action, { type: 'run', id: runId }, details, request) });
  const row = await prisma.run.findUniqueOrThrow({ where: { id: runId }, select: RUN_SUMMARY_SELECT });
  return { run: toRunSummary(row), event: { seq: event.seq, kind: event.kind, step: event.step } };
}
