import type { PrismaClient } from '@paddock/db';
import type { FleetEvent, FleetRecorder } from '@paddock/fleet';
import { raiseAlert } from './raise-alert';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOG_TAIL_CHARS = 16_000;

/**
 * What provisioning keeps of fleet events: deploy rows (the deploy id is the Deploy row's id), host-key alerts and
 * audit entries. Deliberately small; the deploys service's recorder is the full one.
 */
export function createProvisioningRecorder(prisma: PrismaClient): FleetRecorder {
  return {
    async record(event: FleetEvent) {
      switch (event.type) {
        case 'deploy.started':
          if (UUID.test(event.deployId)) {
            await prisma.deploy.updateMany({
              where: { id: event.deployId },
              data: { status: 'running', startedAt: new Date(), attempts: { increment: 1 } },
            });
          }
          return;
        case 'deploy.finished':
          if (UUID.test(event.deployId)) {
            await prisma.deploy.updateMany({
              where: { id: event.deployId },
              data: {
                status:
                  event.outcome === 'rolled_back' ? 'rolled_back' : event.outcome === 'failed' ? 'failed' : 'succeeded',
                finishedAt: new Date(),
                filesUploaded: event.filesUploaded,
                bytesSent: BigInt(event.bytesUploaded),
                logTail: event.logTail.slice(-LOG_TAIL_CHARS),
                error: event.error ? `${event.error.failure}: ${event.error.message}` : null,
              },
            });
          }
          return;
        case 'host_key.mismatch': {
          const box = await prisma.box.findUnique({ where: { id: event.boxId }, select: { tenantId: true } });
          await raiseAlert(prisma, {
            tenantId: box?.tenantId ?? null,
            boxId: box ? event.boxId : null,
            severity: 'critical',
            code: 'host_key_changed',
            message: `Box ${event.boxId} at ${event.address} presented host key ${event.presented}, not the pinned ${event.expected}: connection refused.`,
            details: { address: event.address, expected: event.expected, presented: event.presented },
            dedupeKey: `host_key_changed:${event.boxId}`,
          });
          return;
        }
        case 'host_key.trusted_on_first_use':
        case 'secrets.pushed': {
          const box = await prisma.box.findUnique({ where: { id: event.boxId }, select: { tenantId: true } });
          await prisma.auditLog.create({
            data: {
              tenantId: box?.tenantId ?? null,
              actorType: 'system',
              actorLabel: 'provisioning',
              action: event.type === 'secrets.pushed' ? 'box.secrets.pushed' : 'box.host_key.trusted_on_first_use',
              targetType: 'box',
              targetId: event.boxId,
              details:
                event.type === 'secrets.pushed'
                  ? { names: event.names }
                  : { address: event.address, fingerprint: event.fingerprint },
            },
          });
          return;
        }
        default:
          return;
      }
    },
  };
}
