import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { AppError } from '@paddock/contracts';

export interface ScryptCost {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

// 2^15 * 8 * 128 bytes = 32 MiB and about 100 ms per hash here: slow for guessing, fine for logins. The cost is
// stored in each hash, so raising it later only needs needsRehash() at login.
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem must exceed 128 * N * r, or node refuses the parameters.
    const maxmem = 128 * cost.N * cost.r * 2;
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, { ...cost, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$hash` (base64), self-describing so the cost can change without breaking old hashes. */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  if (password.length === 0) throw new AppError('validation_failed', 'password must not be empty');
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64'), key.toString('base64')].join('$');
}

function parseHash(hash: string): { cost: ScryptCost; salt: Buffer; key: Buffer } {
  const [scheme, n, r, p, salt, key] = hash.split('$');
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  if (scheme !== 'scrypt' || !salt || !key || ![cost.N, cost.r, cost.p].every((v) => Number.isInteger(v) && v > 0)) {
    // A stored hash we cannot read is a data problem to surface, not a wrong password.
    throw new AppError('internal', 'stored password hash is not in scrypt$N$r$p$salt$hash form');
  }
  return { cost, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const stored = parseHash(hash);
  const key = await derive(password, stored.salt, stored.cost);
  return key.length === stored.key.length && timingSafeEqual(key, stored.key);
}

/** True when the hash was made with a weaker cost than `cost`: rehash it after a successful login. */
export function needsRehash(hash: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): boolean {
  const stored = parseHash(hash).cost;
  return stored.N < cost.N || stored.r < cost.r || stored.p < cost.p;
}
