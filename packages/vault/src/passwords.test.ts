import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT_COST, hashPassword, needsRehash, verifyPassword } from './passwords';

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(hash).not.toContain('horse');
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts: the same password hashes differently', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('treats composed and decomposed unicode as the same password', async () => {
    const hash = await hashPassword('caf\u00e9');
    expect(await verifyPassword('cafe\u0301', hash)).toBe(true);
  });

  it('keeps working after the cost is raised, and says the old hash needs a rehash', async () => {
    const weak = await hashPassword('pw', { N: 2 ** 10, r: 8, p: 1 });
    expect(await verifyPassword('pw', weak)).toBe(true);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(await hashPassword('pw'))).toBe(false);
    expect(needsRehash(weak, { ...DEFAULT_SCRYPT_COST, N: 2 ** 10 })).toBe(false);
  });

  it('refuses empty passwords and unreadable stored hashes', async () => {
    await expect(hashPassword('')).rejects.toThrow(/must not be empty/);
    await expect(verifyPassword('pw', 'md5$abc')).rejects.toThrow(/not in scrypt/);
  });
});
