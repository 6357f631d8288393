import { AppError } from '@paddock/contracts';
import { type DeployLockProvider, FleetError } from '@paddock/fleet';
import type { ServiceClients } from '../clients';

export interface PrismaDeployLockOptions {
  /** A lease not renewed for this long may be taken over (its holder died). Default 2 minutes. */
  leaseMs?: number;
  /** How long to wait for another holder's lease; 0 (default) refuses at once. */
  waitMs?: number;
  /** BoxLock purpose; the deploy lock by default. */
  purpose?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The control plane's half of the deploy lock: a BoxLock lease row per box, so two workers never even start
 * deploying to one box (the box's own flock is the other half). The lease is renewed while held; a crashed holder's
 * lease expires and may be taken over. The same deploy id may take its own lease again (a retried job).
 */
export function createPrismaDeployLock(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  options: PrismaDeployLockOptions = {},
): DeployLockProvider {
  const leaseMs = options.leaseMs ?? 120_000;
  const purpose = options.purpose ?? 'deploy';

  const tryTake = async (boxId: string, holder: string): Promise<boolean> => {
    const rows = await prisma.$queryRaw<{ holder: string }[]>`
      INSERT INTO box_locks (box_id, purpose, holder, acquired_at, expires_at)
      VALUES (${boxId}::uuid, ${purpose}, ${holder}, now(), now() + ${leaseMs} * interval '1 millisecond')
      ON CONFLICT (box_id, purpose) DO UPDATE
        SET holder = EXCLUDED.holder, acquired_at = now(), expires_at = EXCLUDED.expires_at
        WHERE box_locks.expires_at < now() OR box_locks.holder = EXCLUDED.holder
      RETURNING holder`;
    return rows.length === 1;
  };

  return {
    async acquire({ boxId, deployId }) {
      if (!UUID.test(boxId)) throw new AppError('bad_request', `box id must be a box row's uuid, got ${boxId}`);
      const box = await prisma.box.findUnique({ where: { id: boxId }, select: { id: true } });
      if (!box) throw new AppError('not_found', `box ${boxId} not found`);
      const holder = `deploy ${deployId}`.slice(0, 255);
      const deadline = Date.now() + (options.waitMs ?? 0);
      while (!(await tryTake(boxId, holder))) {
        if (Date.now() >= deadline) {
          const current = await prisma.boxLock.findUnique({ where: { boxId_purpose: { boxId, purpose } } });
          throw new FleetError(
            'deploy_locked',
            `Box ${boxId} is locked by another deploy${
              current ? ` (${current.holder}, lease until ${current.expiresAt.toISOString()})` : ''
            }`,
            { boxId },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const renew = setInterval(
        () => {
          void prisma.boxLock
            .updateMany({
              where: { boxId, purpose, holder },
              data: { expiresAt: new Date(Date.now() + leaseMs) },
            })
            .catch(() => {});
        },
        Math.max(1_000, Math.floor(leaseMs / 3)),
      );
      renew.unref();
      return {
        async release() {
          clearInterval(renew);
          await prisma.boxLock.deleteMany({ where: { boxId, purpose, holder } });
        },
      };
    },
  };
}
