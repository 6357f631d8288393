import type { StagingResult } from '@paddock/contracts';
import { BoxChannel, boxServeCommand, checkLayout, DEFAULT_BOX_LAYOUT, sh, sshTransport } from '@paddock/fleet';
import { loadBoxTargetWithPrisma } from '../boxes/load-box-target-prisma';
import { finishStaging } from './chain-activation';
import type { BoxSyncDeps } from '../boxes/box-sync-deps';
import { loadChainVersionForBox } from './chain-on-box';
import { type ReferenceOutcome, runReference } from './run-reference';
import { recordStagingProblem } from './staging-problem';
import { findTenantBox } from '../boxes/tenant-box';

export interface StageJobContext {
  jobId: string;
  finalAttempt: boolean;
  signal?: AbortSignal;
}

/**
 * The `chain.stage` job: runs a synced version on the box once per reference input (one after another, as the
 * tenant's runs would), judges each, stores the staging result and activates or rejects the version. Staging runs
 * are ordinary runs on the box (`stage-<hash>-<n>-<reference>`), so their events, outputs and costs are kept there.
 */
export async function stageChainVersion(
  deps: BoxSyncDeps,
  payload: { tenantId: string; chainVersionId: string },
  context: StageJobContext,
) {
  const layout = checkLayout(deps.layout ?? DEFAULT_BOX_LAYOUT);
  const version = await loadChainVersionForBox({ prisma: deps.prisma }, payload.tenantId, payload.chainVersionId);
  if (!version) return { skipped: 'the chain version no longer exists' };
  if (version.status !== 'staging') return { skipped: `the version is ${version.status}` };
  if (!version.syncedAt) throw new Error(`chain version ${version.id} is not on the box yet`);
  const startedAt = new Date().toISOString();
  const generation = /-(\d+)$/.exec(context.jobId)?.[1] ?? '1';
  const references: ReferenceOutcome[] = [];
  try {
    const found = await findTenantBox({ prisma: deps.prisma }, payload.tenantId);
    if (!found || !('boxId' in found)) throw new Error('the workspace has no box ready');
    const { boxId } = found;
    const target = await loadBoxTargetWithPrisma({ prisma: deps.prisma, vault: deps.vault }, boxId);
    const connection = await deps.ssh.connect(target);
    // Started from the runtime root, so the version's file is named relative to it (as `activeChainOnBox` gives it).
    const serve = sh`cd ${layout.dataDir} && ${boxServeCommand(layout)}`;
    const channel = new BoxChannel({ boxId, open: sshTransport(deps.ssh, target, serve), requestTimeoutMs: 30_000 });
    try {
      for (const reference of version.referenceInputs) {
        references.push(
          await runReference({
            channel,
            connection,
            layout,
            file: version.file,
            runId: `stage-${version.contentHash.slice(0, 12)}-${generation}-${reference.name}`,
            reference,
            pollMs: deps.stagingPollMs ?? 500,
            signal: context.signal,
          }),
        );
      }
    } finally {
      await channel.close();
    }
  } catch (error) {
    if (context.finalAttempt) {
      await recordStagingProblem(
        { prisma: deps.prisma },
        version.id,
        `staging could not run: ${(error as Error).message}`,
      );
    }
    throw error;
  }
  const result: StagingResult = {
    passed: references.every((reference) => reference.passed),
    startedAt,
    finishedAt: new Date().toISOString(),
    error: null,
    references,
  };
  const finished = await finishStaging({ prisma: deps.prisma }, version.id, result);
  return { passed: result.passed, status: finished.status, runs: references.map((r) => r.runId) };
}
