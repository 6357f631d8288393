import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import type { BoxTarget, HostKeyPolicy } from '@paddock/fleet';
import type { Vault } from '@paddock/vault';
import { sshKeyVaultContext } from './box-target';

/** `loadBoxTarget` for callers holding Prisma (the API): the same rules, the same refusals. */
export async function loadBoxTargetWithPrisma(prisma: PrismaClient, vault: Vault, boxId: string): Promise<BoxTarget> {
  const box = await prisma.box.findUnique({
    where: { id: boxId },
    select: {
      address: true,
      port: true,
      sshUser: true,
      hostKeyFingerprint: true,
      hostKeyTofuAllowed: true,
      sshKey: { select: { id: true, privateKeyEncrypted: true, revokedAt: true } },
    },
  });
  if (!box) throw new AppError('not_found', `box ${boxId} not found`);
  if (!box.address) throw new AppError('unprocessable', `box ${boxId} has no address yet`);
  const key = box.sshKey;
  if (!key || key.revokedAt || !key.privateKeyEncrypted) {
    throw new AppError('unprocessable', `box ${boxId} has no usable SSH key`);
  }
  let hostKey: HostKeyPolicy;
  if (box.hostKeyFingerprint) hostKey = { kind: 'pinned', fingerprint: box.hostKeyFingerprint };
  else if (box.hostKeyTofuAllowed) hostKey = { kind: 'trust-on-first-use' };
  else throw new AppError('unprocessable', `box ${boxId} has no pinned host key`);
  return {
    id: boxId,
    host: box.address,
    port: box.port,
    username: box.sshUser,
    privateKey: vault.decrypt(key.privateKeyEncrypted, sshKeyVaultContext(key.id)),
    hostKey,
  };
}
