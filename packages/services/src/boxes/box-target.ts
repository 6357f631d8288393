import { AppError } from '@paddock/contracts';
import type { BoxTarget, HostKeyPolicy } from '@paddock/fleet';
import type { Vault } from '@paddock/vault';
import type { Pool } from 'pg';

/** The vault context of an SSH key's private half: the ciphertext only decrypts for the key row it was made for. */
export function sshKeyVaultContext(sshKeyId: string): string {
  return `ssh_keys:${sshKeyId}`;
}

/**
 * A box's SSH target from its row: address, port, login, the control plane's key for it (decrypted from the vault)
 * and its pinned host key. A box without a pinned key is refused unless an operator allowed trust-on-first-use.
 */
export async function loadBoxTarget(pool: Pool, vault: Vault, boxId: string): Promise<BoxTarget> {
  const { rows } = await pool.query<{
    address: string | null;
    port: number;
    ssh_user: string;
    host_key_fingerprint: string | null;
    host_key_tofu_allowed: boolean;
    ssh_key_id: string | null;
    private_key_encrypted: string | null;
  }>(
    `SELECT b.address, b.port, b.ssh_user, b.host_key_fingerprint, b.host_key_tofu_allowed, b.ssh_key_id,
            k.private_key_encrypted
       FROM boxes b LEFT JOIN ssh_keys k ON k.id = b.ssh_key_id AND k.revoked_at IS NULL
      WHERE b.id = $1`,
    [boxId],
  );
  const row = rows[0];
  if (!row) throw new AppError('not_found', `box ${boxId} not found`);
  if (!row.address) throw new AppError('unprocessable', `box ${boxId} has no address yet`);
  if (!row.ssh_key_id || !row.private_key_encrypted) {
    throw new AppError('unprocessable', `box ${boxId} has no usable SSH key`);
  }
  let hostKey: HostKeyPolicy;
  if (row.host_key_fingerprint) hostKey = { kind: 'pinned', fingerprint: row.host_key_fingerprint };
  else if (row.host_key_tofu_allowed) hostKey = { kind: 'trust-on-first-use' };
  else throw new AppError('unprocessable', `box ${boxId} has no pinned host key`);
  return {
    id: boxId,
    host: row.address,
    port: row.port,
    username: row.ssh_user,
    privateKey: vault.decrypt(row.private_key_encrypted, sshKeyVaultContext(row.ssh_key_id)),
    hostKey,
  };
}
