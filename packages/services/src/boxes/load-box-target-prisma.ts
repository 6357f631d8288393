import type { BoxTarget } from '@paddock/fleet';
import { boxTargetFromRow } from './box-target';
import type { ServiceClients } from '../clients';

/** `loadBoxTarget` for callers holding Prisma (the API): the same rules, the same refusals. */
export async function loadBoxTargetWithPrisma(
  { prisma, vault }: Pick<ServiceClients, 'prisma' | 'vault'>,
  boxId: string,
): Promise<BoxTarget> {
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
  const key = box?.sshKey && !box.sshKey.revokedAt ? box.sshKey : null;
  return boxTargetFromRow(
    { vault },
    boxId,
    box ? { ...box, sshKeyId: key?.id ?? null, privateKeyEncrypted: key?.privateKeyEncrypted ?? null } : undefined,
  );
}
