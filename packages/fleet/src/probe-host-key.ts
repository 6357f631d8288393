import { NodeSSH } from 'node-ssh';
import { FleetError } from './errors';
import { fingerprintOfKeyBlob } from './host-key';

export interface ProbedHostKey {
  fingerprint: string;
  /** The key's type as the host sent it (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`). */
  algorithm: string;
}

/**
 * Reads the host key an SSH server presents, for an operator to confirm before anything trusts it. node-ssh's
 * `hostVerifier` is handed the key before any authentication, and refusing it there ends the handshake: no
 * credential is ever offered to a host nobody has confirmed yet.
 */
export async function probeHostKey(
  host: string,
  port: number,
  options: { username: string; timeoutMs: number },
): Promise<ProbedHostKey> {
  let presented: Buffer | undefined;
  const ssh = new NodeSSH();
  try {
    await ssh.connect({
      host,
      port,
      username: options.username,
      readyTimeout: options.timeoutMs,
      tryKeyboard: false,
      hostVerifier: (key: Buffer) => {
        presented = Buffer.from(key);
        return false;
      },
    });
  } catch (error) {
    if (presented) return { fingerprint: fingerprintOfKeyBlob(presented), algorithm: keyType(presented) };
    throw new FleetError('connect_failed', `No SSH host key from ${host}:${port}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    ssh.dispose();
  }
  // A server that let us in without checking its key would be a bug in the verifier above.
  throw new FleetError('connect_failed', `The SSH handshake with ${host}:${port} did not stop at the host key`);
}

/** SSH wire format: the key blob starts with its type as a length-prefixed string. */
function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return length > 0 && length <= 64 && blob.length >= 4 + length
    ? blob.subarray(4, 4 + length).toString('latin1')
    : 'unknown';
}
