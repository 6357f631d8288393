import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@paddock/db';
import { generateSshKeyPair, loadSshKeyPair, type SshKeyPair } from '@paddock/fleet';
import type { Vault } from '@paddock/vault';
import { sshKeyVaultContext } from '../boxes/box-target';

type Tx = Pick<PrismaClient, 'sshKey'>;

/**
 * Generates a key pair and stores it in ssh_keys, the private half only as vault ciphertext bound to the row's id
 * (the context `loadBoxTarget` decrypts with). Used for a box's login key and for its host key, which the control
 * plane makes before the machine exists so its fingerprint is pinned before first contact.
 */
export async function createStoredKeyPair(
  { prisma: tx, vault }: { prisma: Tx; vault: Vault },
  input: { tenantId: string; name: string },
): Promise<{ id: string; pair: SshKeyPair }> {
  const id = randomUUID();
  const pair = generateSshKeyPair(input.name);
  await tx.sshKey.create({
    data: {
      id,
      tenantId: input.tenantId,
      name: input.name,
      publicKey: pair.publicKey,
      fingerprint: pair.fingerprint,
      privateKeyEncrypted: vault.encrypt(pair.privateKey, sshKeyVaultContext(id)),
    },
  });
  return { id, pair };
}

/** A stored key pair by its fingerprint (the host key of a box is found through the box's pinned fingerprint). */
export async function loadStoredKeyPair(
  { prisma, vault }: { prisma: Tx; vault: Vault },
  fingerprint: string,
): Promise<SshKeyPair> {
  const row = await prisma.sshKey.findUnique({ where: { fingerprint } });
  if (!row) throw new Error(`no stored key with fingerprint ${fingerprint}`);
  return loadSshKeyPair(vault.decrypt(row.privateKeyEncrypted, sshKeyVaultContext(row.id)));
}
