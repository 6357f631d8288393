import { AppError } from '@paddock/contracts';
import type { Prisma } from '@paddock/db';
import type { FleetEvent, FleetRecorder } from '@paddock/fleet';
import { recordHostKeyMismatch } from '../box-health/record-host-key-mismatch';
import { raiseAlert, resolveAlerts } from '../alerts/raise-alert';
import {
  appendDeployStep,
  closeDeployRow,
  type DeployRowRef,
  openDeployRow,
  recordRolloutProgress,
  recordRolloutStopped,
  UUID,
} from './deploy-rows';
import { auditActorOf, writeAudit } from '../audit/audit-entry';
import type { ServiceClients } from '../clients';

export interface AuditActor {
  type: 'user' | 'api_key' | 'system';
  id?: string | null;
  /** Who the actor was (email, key prefix, worker name). */
  label: string;
}

export interface PrismaFleetRecorderOptions {
  /** Written on audit rows. Default: the system, labelled `fleet`. */
  actor?: AuditActor;
  /** The Rollout row deploys belong to (otherwise read from `<rollout uuid>-<n>` deploy ids). */
  rolloutId?: string;
  requestedByUserId?: string;
  /** Characters of log kept on a Deploy row. Default 16,000. */
  logTailChars?: number;
}

export interface PrismaFleetRecorder extends FleetRecorder {
  /** The Deploy row a fleet deploy id was recorded under (new rows get their own uuid). */
  deployRowId(deployId: string): string | undefined;
}

const MAX_REMEMBERED_DEPLOYS = 10_000;

type BootstrapStep = Extract<FleetEvent, { type: 'bootstrap.step' }>;

/**
 * The fleet layer's records in Postgres. Deploys: a Deploy row per deploy, its log tail growing step by step, closed
 * with the outcome, and the box's current release moved; a failed or rolled-back deploy opens a `deploy_failed`
 * alert that the box's next good deploy resolves. Rollouts: counts and status on the Rollout row. Host keys: a changed
 * key opens a critical `host_key_changed` alert, marks the box unreachable and is audited once per incident; trust on first use pins the key on the
 * box row and writes the audit entry in one transaction, before the connection goes on (a failed write refuses it).
 * Bootstrap, deploys and secret pushes are audited. Box ids are Box row ids.
 */
export function createPrismaFleetRecorder(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  options: PrismaFleetRecorderOptions = {},
): PrismaFleetRecorder {
  const actor = options.actor ?? { type: 'system', label: 'fleet' };
  const tailChars = options.logTailChars ?? 16_000;
  const deploys = new Map<string, DeployRowRef>();
  const bootstrapSteps = new Map<string, BootstrapStep[]>();

  // Events may name boxes that have no row (an operator probing an address): those get audit rows only.
  const boxOf = (boxId: string) =>
    UUID.test(boxId) ? prisma.box.findUnique({ where: { id: boxId }, select: { tenantId: true } }) : null;
  const audit = (data: {
    tenantId: string | null;
    action: string;
    boxId: string;
    details: Prisma.InputJsonObject;
  }): Prisma.PrismaPromise<unknown> =>
    writeAudit(
      { prisma },
      {
        actor: auditActorOf({ type: actor.type, id: actor.id, label: actor.label }),
        action: data.action,
        tenantId: data.tenantId,
        target: { type: 'box', id: data.boxId },
        details: data.details,
      },
    );

  async function record(event: FleetEvent): Promise<void> {
    switch (event.type) {
      case 'deploy.started':
        deploys.set(event.deployId, await openDeployRow({ prisma }, event, { ...options, logTailChars: tailChars }));
        // A worker's recorder lives as long as the process: only the newest deploys are remembered.
        if (deploys.size > MAX_REMEMBERED_DEPLOYS) deploys.delete(deploys.keys().next().value as string);
        return;
      case 'deploy.step': {
        const row = deploys.get(event.deployId);
        if (row) await appendDeployStep({ prisma }, row, event, tailChars);
        return;
      }
      case 'deploy.finished': {
        const row = deploys.get(event.deployId);
        if (!row) return;
        await closeDeployRow({ prisma }, row, event, tailChars);
        const alertKey = `deploy_failed:${row.boxId}`;
        if (event.outcome === 'failed' || event.outcome === 'rolled_back') {
          await raiseAlert(
            { prisma },
            {
              tenantId: row.tenantId,
              boxId: row.boxId,
              severity: event.outcome === 'failed' ? 'critical' : 'warning',
              code: 'deploy_failed',
              message: `${row.kind === 'rollback' ? 'Rollback' : 'Deploy'} of ${event.version} to box ${row.boxId} ${
                event.outcome === 'rolled_back' ? `was rolled back to ${event.activeVersion}` : 'failed'
              }${event.error ? `: ${event.error.message}` : ''}`,
              details: { deployId: row.id, version: event.version, outcome: event.outcome },
              dedupeKey: alertKey,
            },
          );
        } else await resolveAlerts({ prisma }, alertKey);
        await audit({
          tenantId: row.tenantId,
          action: row.kind === 'rollback' ? 'box.rollback' : 'box.deploy',
          boxId: row.boxId,
          details: {
            deployId: row.id,
            version: event.version,
            outcome: event.outcome,
            previousVersion: event.previousVersion,
            activeVersion: event.activeVersion,
          },
        });
        return;
      }
      case 'rollout.progress':
        await recordRolloutProgress({ prisma }, event);
        return;
      case 'rollout.stopped':
        await recordRolloutStopped({ prisma }, event);
        return;
      case 'host_key.mismatch':
        await recordHostKeyMismatch({ prisma }, event, actor);
        return;
      case 'host_key.trusted_on_first_use':
        await trustOnFirstUse(event);
        return;
      case 'bootstrap.step':
        bootstrapSteps.set(event.boxId, [...(bootstrapSteps.get(event.boxId) ?? []), event]);
        return;
      case 'bootstrap.finished': {
        const steps = bootstrapSteps.get(event.boxId) ?? [];
        bootstrapSteps.delete(event.boxId);
        const report = {
          serviceMode: event.serviceMode,
          changedSteps: event.changedSteps,
          steps: steps.map((s) => ({ step: s.step, changed: s.changed, detail: s.detail })),
        };
        const box = await boxOf(event.boxId);
        const tenantId = box?.tenantId ?? null;
        await prisma.$transaction([
          ...(box
            ? [
                prisma.box.update({
                  where: { id: event.boxId },
                  data: { bootstrappedAt: new Date(), bootstrapReport: report },
                }),
              ]
            : []),
          audit({ tenantId, action: 'box.bootstrap', boxId: event.boxId, details: report }),
        ]);
        return;
      }
      case 'secrets.pushed':
        await audit({
          tenantId: (await boxOf(event.boxId))?.tenantId ?? null,
          action: 'box.secrets.pushed',
          boxId: event.boxId,
          details: { names: event.names },
        });
        return;
    }
  }

  // The key is pinned on the box row only where none was pinned: a box with a different pin never takes a new one.
  async function trustOnFirstUse(event: Extract<FleetEvent, { type: 'host_key.trusted_on_first_use' }>) {
    if (!UUID.test(event.boxId))
      throw new AppError('bad_request', `box id must be a box row's uuid, got ${event.boxId}`);
    await prisma.$transaction(async (tx) => {
      const box = await tx.box.findUnique({
        where: { id: event.boxId },
        select: { tenantId: true, hostKeyFingerprint: true, hostKeyTofuAllowed: true },
      });
      if (!box) throw new AppError('not_found', `box ${event.boxId} not found`);
      if (box.hostKeyFingerprint !== null && box.hostKeyFingerprint !== event.fingerprint) {
        throw new AppError('conflict', `box ${event.boxId} already has a different pinned host key`);
      }
      if (!box.hostKeyTofuAllowed && box.hostKeyFingerprint === null) {
        throw new AppError('forbidden', `trust on first use is not allowed for box ${event.boxId}`);
      }
      await tx.box.update({
        where: { id: event.boxId },
        data: { hostKeyFingerprint: event.fingerprint, hostKeyPinnedAt: new Date() },
      });
      await writeAudit(
        { prisma: tx },
        {
          actor: auditActorOf({ type: actor.type, id: actor.id, label: actor.label }),
          action: 'box.host_key.trust',
          tenantId: box.tenantId,
          target: { type: 'box', id: event.boxId },
          details: { address: event.address, fingerprint: event.fingerprint, how: 'trust_on_first_use' },
        },
      );
    });
  }

  return { record, deployRowId: (deployId) => deploys.get(deployId)?.id };
}
