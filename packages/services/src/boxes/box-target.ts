import { AppError } from '@paddock/contracts';
import type { BoxTarget, HostKeyPolicy } from '@paddock/fleet';
import type { ServiceClients } from '../clients';

/** The vault context of an SSH key's private half: the ciphertext only decrypts for the key row it was made for. */
export function sshKeyVaultContext(sshKeyId: string): string {
  return `ssh_keys:${sshKeyId}`;
}

/** What a box row and its (unrevoked) SSH key say about reaching it, however they were read. */
export interface BoxAccessRow {
  address: string | null;
  port: number;
  sshUser: string;
  hostKeyFingerprint: string | null;
  hostKeyTofuAllowed: boolean;
  sshKeyId: string | null;
  privateKeyEncrypted: string | null;
}

/**
 * A box's SSH target from its row: address, port, login, the control plane's key for it (decrypted from the vault)
 * and its pinned host key. A box without a pinned key is refused unless an operator allowed trust-on-first-use.
 */
export function boxTargetFromRow(
  { vault }: Pick<ServiceClients, 'vault'>,
  boxId: string,
  row: BoxAccessRow | undefined,
): BoxTarget {
  if (!row) throw new AppError('not_found', `box ${boxId} not found`);
  if (!row.address) throw new AppError('unprocessable', `box ${boxId} has no address yet`);
  if (!row.sshKeyId || !row.privateKeyEncrypted) {
    throw new AppError('unprocessable', `box ${boxId} has no usable SSH key`);
  }
  let hostKey: HostKeyPolicy;
  if (row.hostKeyFingerprint) hostKey = { kind: 'pinned', fingerprint: row.hostKeyFingerprint };
  else if (row.hostKeyTofuAllowed) hostKey = { kind: 'trust-on-first-use' };
  else throw new AppError('unprocessable', `box ${boxId} has no pinned host key`);
  return {
    id: boxId,
    host: row.address,
    port: row.port,
    username: row.sshUser,
    privateKey: vault.decrypt(row.privateKeyEncrypted, sshKeyVaultContext(row.sshKeyId)),
    hostKey,
  };
}

/** `boxTargetFromRow` read through plain pg (collectors, provisioning steps). */
export async function loadBoxTarget(
  { pg: pool, vault }: Pick<ServiceClients, 'pg' | 'vault'>,
  boxId: string,
): Promise<BoxTarget> {
  const { rows } = await pool.query<BoxAccessRow>(
    `SELECT b.address, b.port, b.ssh_user AS "sshUser", b.host_key_fingerprint AS "hostKeyFingerprint",
            b.host_key_tofu_allowed AS "hostKeyTofuAllowed", k.id AS "sshKeyId",
            k.private_key_encrypted AS "privateKeyEncrypted"
       FROM boxes b LEFT JOIN ssh_keys k ON k.id = b.ssh_key_id AND k.revoked_at IS NULL
      WHERE b.id = $1`,
    [boxId],
  );
  return boxTargetFromRow({ vault }, boxId, rows[0]);
}
