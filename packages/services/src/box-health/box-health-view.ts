import { AppError, type BoxHealthReply } from '@paddock/contracts';
import type { ServiceClients } from '../clients';

/** One box as the collector last judged it, with its reconnect backoff while it does not answer (operators). */
export async function getBoxHealth({ prisma }: Pick<ServiceClients, 'prisma'>, boxId: string): Promise<BoxHealthReply> {
  const box = await prisma.box.findUnique({
    where: { id: boxId },
    select: {
      id: true,
      tenantId: true,
      status: true,
      statusReason: true,
      lastSeenAt: true,
      healthCheckedAt: true,
      runtimeVersion: true,
      health: true,
      diskUsedBytes: true,
      diskTotalBytes: true,
      collectorCursor: {
        select: { reconnectFailures: true, reconnectDelayMs: true, nextReconnectAt: true, reconnectError: true },
      },
    },
  });
  if (!box) throw new AppError('not_found', `No box ${boxId}.`);
  const cursor = box.collectorCursor;
  return {
    boxId: box.id,
    tenantId: box.tenantId,
    status: box.status,
    statusReason: box.statusReason,
    lastSeenAt: box.lastSeenAt?.toISOString() ?? null,
    healthCheckedAt: box.healthCheckedAt?.toISOString() ?? null,
    runtimeVersion: box.runtimeVersion,
    health: box.health ?? null,
    diskUsedBytes: box.diskUsedBytes?.toString() ?? null,
    diskTotalBytes: box.diskTotalBytes?.toString() ?? null,
    reconnect: cursor
      ? {
          failures: cursor.reconnectFailures,
          lastDelayMs: cursor.reconnectDelayMs,
          nextAttemptAt: cursor.nextReconnectAt?.toISOString() ?? null,
          lastError: cursor.reconnectError,
        }
      : null,
  };
}
