import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createVault } from './index';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');

describe('Vault', () => {
  it('round-trips text, including empty and non-ASCII, with a fresh IV each time', () => {
    const vault = createVault(keyA);
    for (const plaintext of ['', 'sk-live-123', 'päßwörd ✓ 秘密', 'x'.repeat(100_000)]) {
      const first = vault.encrypt(plaintext);
      expect(vault.decrypt(first)).toBe(plaintext);
      expect(vault.encrypt(plaintext)).not.toBe(first);
    }
  });

  it('never shows the plaintext in the ciphertext', () => {
    const ciphertext = createVault(keyA).encrypt('-----BEGIN OPENSSH PRIVATE KEY-----');
    expect(ciphertext).toMatch(/^v1:k1:[A-Za-z0-9_-]+$/);
    expect(ciphertext).not.toContain('OPENSSH');
    expect(Buffer.from(ciphertext.split(':')[2] ?? '', 'base64url').toString('latin1')).not.toContain('OPENSSH');
  });

  it('refuses a tampered ciphertext, another key, or another context', () => {
    const vault = createVault(keyA);
    const ciphertext = vault.encrypt('secret', 'tenant_secret:t1:API_KEY');
    const data = Buffer.from(ciphertext.split(':')[2] ?? '', 'base64url');
    data[14] = (data[14] ?? 0) ^ 1;
    expect(() => vault.decrypt(`v1:k1:${data.toString('base64url')}`, 'tenant_secret:t1:API_KEY')).toThrow(
      /failed authentication/,
    );
    expect(() => createVault(keyB).decrypt(ciphertext, 'tenant_secret:t1:API_KEY')).toThrow(/failed authentication/);
    // The same ciphertext moved to another tenant's row does not decrypt.
    expect(() => vault.decrypt(ciphertext, 'tenant_secret:t2:API_KEY')).toThrow(/failed authentication/);
    expect(vault.decrypt(ciphertext, 'tenant_secret:t1:API_KEY')).toBe('secret');
  });

  it('refuses a ciphertext whose key id was edited', () => {
    const vault = createVault({ activeKeyId: 'a', keys: { a: keyA, b: keyA } });
    const ciphertext = vault.encrypt('secret');
    expect(() => vault.decrypt(ciphertext.replace('v1:a:', 'v1:b:'))).toThrow(/failed authentication/);
  });

  it('rejects malformed input with a clear message', () => {
    const vault = createVault(keyA);
    expect(() => vault.decrypt('plaintext')).toThrow(/not a v1 ciphertext/);
    expect(() => vault.decrypt('v1:k1:AAAA')).toThrow(/truncated/);
    expect(() => vault.decrypt('v1:k9:' + 'A'.repeat(60))).toThrow(/key "k9", which is not in the keyring/);
  });

  it('rotates: old ciphertexts stay readable, new ones use the new key, reencrypt moves them over', () => {
    const before = createVault(`old:${keyA}`);
    const old = before.encrypt('db-password', 'ctx');
    const after = createVault(`new:${keyB},old:${keyA}`);
    expect(after.activeKeyId).toBe('new');
    expect(after.decrypt(old, 'ctx')).toBe('db-password');
    expect(after.needsReencryption(old)).toBe(true);

    const moved = after.reencrypt(old, 'ctx');
    expect(after.keyIdOf(moved)).toBe('new');
    expect(after.needsReencryption(moved)).toBe(false);
    // Once everything moved, the old key can go.
    expect(createVault(`new:${keyB}`).decrypt(moved, 'ctx')).toBe('db-password');
    expect(() => createVault(`new:${keyB}`).decrypt(old, 'ctx')).toThrow(/key "old"/);
  });
});
