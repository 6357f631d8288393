import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import { FleetError } from './errors';
import { fingerprintOfPublicKey } from './host-key';

/**
 * An ed25519 key pair made by the control plane, one per box (login key) or per box host key (pre-seeded through
 * cloud-init). `privateKey` is OpenSSH PEM, unencrypted: the caller encrypts it before it is stored anywhere.
 */
export interface SshKeyPair {
  privateKey: string;
  /** `ssh-ed25519 AAAA... comment`, as authorized_keys and `*.pub` files hold it. */
  publicKey: string;
  /** `SHA256:...`, what host-key pinning compares. */
  fingerprint: string;
  /** `aa:bb:...` MD5, the format some cloud APIs (Hetzner) use to look keys up. */
  md5Fingerprint: string;
}

export function generateSshKeyPair(comment: string): SshKeyPair {
  if (/[\r\n]/.test(comment)) throw new FleetError('invalid_input', 'An SSH key comment cannot span lines');
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
  return describeKeyPair(pair.private, pair.public.trim());
}

/** Reads a stored private key back (after the caller decrypted it) and derives the public parts. */
export function loadSshKeyPair(privateKey: string): SshKeyPair {
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) throw new FleetError('invalid_input', `Not a usable SSH private key: ${parsed.message}`);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) throw new FleetError('invalid_input', 'Not an SSH private key');
  const publicKey = `${key.type} ${key.getPublicSSH().toString('base64')}${key.comment ? ` ${key.comment}` : ''}`;
  return describeKeyPair(privateKey, publicKey);
}

function describeKeyPair(privateKey: string, publicKey: string): SshKeyPair {
  return { privateKey, publicKey, ...describePublicKey(publicKey) };
}

/** Both fingerprints of an `ssh-ed25519 AAAA... comment` line. */
export function describePublicKey(publicKey: string): { fingerprint: string; md5Fingerprint: string } {
  const parsed = ssh2.utils.parseKey(publicKey.trim());
  if (parsed instanceof Error || (Array.isArray(parsed) && parsed.length === 0)) {
    throw new FleetError('invalid_input', 'Not an OpenSSH public key line');
  }
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64');
  const md5 = createHash('md5').update(blob).digest('hex');
  return { fingerprint: fingerprintOfPublicKey(publicKey), md5Fingerprint: md5.match(/../g)?.join(':') ?? md5 };
}
