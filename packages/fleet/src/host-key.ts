import { createHash } from 'node:crypto';

/**
 * How a connection decides whether the box it reached is the box it meant. A fingerprint is pinned when the box is
 * created (the provider pre-seeds the host key) or learned once by trust-on-first-use, which the operator must allow
 * explicitly and which is recorded in the audit log.
 */
export type HostKeyPolicy =
  | {
      kind: 'pinned';
      fingerprint: string;
      /**
       * Only while the box's host key is being replaced (replace-host-key.ts): the key it is switching to, read
       * from the box over a connection verified against `fingerprint` and recorded before the switch. Either is
       * accepted, so a retry after the switch (but before the re-pin) reaches the box without a mismatch.
       */
      next?: string;
    }
  | { kind: 'trust-on-first-use' };

/** Whether a presented key is one the policy pins (the pin, or the recorded replacement during a switch). */
export function pinnedKeyMatches(policy: Extract<HostKeyPolicy, { kind: 'pinned' }>, presented: string): boolean {
  return (
    sameFingerprint(presented, policy.fingerprint) ||
    (policy.next !== undefined && sameFingerprint(presented, policy.next))
  );
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** OpenSSH's fingerprint format: `SHA256:` + unpadded base64 of the SHA-256 of the public key blob. */
export function fingerprintOfKeyBlob(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Fingerprint of an `ssh-ed25519 AAAA... comment` line (authorized_keys / .pub format). */
export function fingerprintOfPublicKey(publicKeyLine: string): string {
  const blob = publicKeyLine.trim().split(/\s+/)[1];
  if (!blob) throw new Error('not an OpenSSH public key line');
  return fingerprintOfKeyBlob(Buffer.from(blob, 'base64'));
}

export function isFingerprint(value: string): boolean {
  return FINGERPRINT.test(value);
}

/** Compares fingerprints in constant time: they are not secret, but a timing-stable compare costs nothing. */
export function sameFingerprint(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
