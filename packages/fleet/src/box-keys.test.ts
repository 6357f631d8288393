import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSshKeyPair, loadSshKeyPair, sshKeyPairFromSeed } from './box-keys';
import { FleetError } from './errors';
import { isFingerprint } from './host-key';

describe('box keys', () => {
  it('makes ed25519 pairs whose fingerprints match what OpenSSH computes', () => {
    const pair = generateSshKeyPair('box-1 login');
    expect(pair.publicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ box-1 login$/);
    expect(isFingerprint(pair.fingerprint)).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    try {
      writeFileSync(join(dir, 'k.pub'), `${pair.publicKey}\n`);
      const sha = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')], { encoding: 'utf8' });
      const md5 = execFileSync('ssh-keygen', ['-l', '-E', 'md5', '-f', join(dir, 'k.pub')], { encoding: 'utf8' });
      expect(sha.split(' ')[1]).toBe(pair.fingerprint);
      expect(md5.split(' ')[1]).toBe(`MD5:${pair.md5Fingerprint}`);
      // OpenSSH itself can use the private key (it derives the same public key from it).
      writeFileSync(join(dir, 'k'), pair.privateKey, { mode: 0o600 });
      const derived = execFileSync('ssh-keygen', ['-y', '-f', join(dir, 'k')], { encoding: 'utf8' });
      expect(derived.split(' ').slice(0, 2)).toEqual(pair.publicKey.split(' ').slice(0, 2));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes a different pair each time and loads a stored one back', () => {
    const a = generateSshKeyPair('a');
    const b = generateSshKeyPair('b');
    expect(a.fingerprint).not.toBe(b.fingerprint);
    const loaded = loadSshKeyPair(a.privateKey);
    expect(loaded.fingerprint).toBe(a.fingerprint);
    expect(loaded.md5Fingerprint).toBe(a.md5Fingerprint);
  });

  it('writes keys whose public half starts with a zero byte correctly (ssh2 own generator drops that byte)', () => {
    const pair = zeroLeadingKeyPair('edge');
    expect(Buffer.from(pair.publicKey.split(' ')[1]!, 'base64').subarray(15, 19)).toEqual(Buffer.from([0, 0, 0, 32]));
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    try {
      writeFileSync(join(dir, 'k'), pair.privateKey, { mode: 0o600 });
      const derived = execFileSync('ssh-keygen', ['-y', '-f', join(dir, 'k')], { encoding: 'utf8' });
      expect(derived.split(' ').slice(0, 2)).toEqual(pair.publicKey.split(' ').slice(0, 2));
      expect(loadSshKeyPair(pair.privateKey).fingerprint).toBe(pair.fingerprint);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects garbage and multi-line comments with a clear error', () => {
    expect(() => loadSshKeyPair('not a key')).toThrow(FleetError);
    expect(() => generateSshKeyPair('a\nb')).toThrow(/span lines/);
  });
});

/** A key pair whose ed25519 public key begins with 0x00 (one seed in 256 gives one). */
function zeroLeadingKeyPair(comment: string) {
  for (let i = 0; ; i++) {
    const seed = createHash('sha256').update(`seed-${i}`).digest();
    const pair = sshKeyPairFromSeed(seed, comment);
    // Blob: uint32 11, "ssh-ed25519", uint32 32, then the key: byte 19 is its first byte.
    if (Buffer.from(pair.publicKey.split(' ')[1]!, 'base64')[19] === 0) return pair;
  }
}
