import { createHash } from 'node:crypto';
import { type SshKeyPair, sshKeyPairFromSeed } from '@paddock/fleet';

/** A key pair whose ed25519 public key begins with a zero byte: the case ssh2's own generator gets wrong. */
export function zeroLeadingKeyPair(comment: string, salt = ''): SshKeyPair {
  for (let i = 0; ; i++) {
    const pair = sshKeyPairFromSeed(createHash('sha256').update(`${salt}seed-${i}`).digest(), comment);
    if (Buffer.from(pair.publicKey.split(' ')[1] ?? '', 'base64')[19] === 0) return pair;
  }
}
