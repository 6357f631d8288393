import { DEFAULT_SCRYPT_COST, hashPassword, needsRehash, verifyPassword } from '@paddock/vault';
import { describe, expect, it } from 'vitest';
import { LOGIN_DECOY_HASH } from './login-tenant-user';

// A refused login for an unknown email must cost what a wrong password costs: the decoy is a real scrypt hash at
// today's cost (same N, r, p, salt and key sizes as a stored one), so verifying against it does the same work.
describe('the login decoy hash', () => {
  it('is a readable scrypt hash at the default cost that no password matches', async () => {
    expect(needsRehash(LOGIN_DECOY_HASH)).toBe(false);
    const real = await hashPassword('some password of a user');
    const shape = (hash: string) => hash.split('$').map((part, i) => (i < 4 ? part : part.length));
    expect(shape(LOGIN_DECOY_HASH)).toEqual(shape(real));
    expect(real.startsWith(`scrypt$${DEFAULT_SCRYPT_COST.N}$${DEFAULT_SCRYPT_COST.r}$${DEFAULT_SCRYPT_COST.p}$`)).toBe(
      true,
    );
    expect(await verifyPassword('some password of a user', LOGIN_DECOY_HASH)).toBe(false);
    expect(await verifyPassword('', LOGIN_DECOY_HASH)).toBe(false);
  });
});
