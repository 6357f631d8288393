import { createHash, randomBytes } from 'node:crypto';

/** sha256 hex: what the database keeps of an API key or session token (they are random, so no slow hash needed). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface GeneratedApiKey {
  /** The whole key: shown to its owner once, never stored. */
  key: string;
  /** The visible part (`pdk_live_3fa9c1d2e4b6`), stored and shown in lists so people can tell keys apart. */
  prefix: string;
  /** sha256 hex of `key`, stored; a presented key is looked up by its hash. */
  hash: string;
}

const API_KEY = /^pdk_(live|test)_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** `pdk_<env>_<12 hex: public id>_<43 chars: 256 random bits>`. */
export function generateApiKey(environment: 'live' | 'test' = 'live'): GeneratedApiKey {
  const prefix = `pdk_${environment}_${randomBytes(6).toString('hex')}`;
  const key = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashToken(key) };
}

/** The prefix of a well-formed API key, or null: lets callers reject garbage before touching the database. */
export function apiKeyPrefix(key: string): string | null {
  const match = API_KEY.exec(key);
  return match ? `pdk_${match[1]}_${match[2]}` : null;
}

export interface GeneratedSessionToken {
  token: string;
  hash: string;
}

export function generateSessionToken(): GeneratedSessionToken {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

// No look-alikes (0/O, 1/l/I), so a password read off a terminal can be typed back.
const PASSWORD_ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random password (default 24 characters, about 140 bits), e.g. for the first operator. */
export function generatePassword(length = 24): string {
  const chars: string[] = [];
  // Rejection sampling keeps every character equally likely (256 is not a multiple of the alphabet size).
  const limit = 256 - (256 % PASSWORD_ALPHABET.length);
  while (chars.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit && chars.length < length)
        chars.push(PASSWORD_ALPHABET[byte % PASSWORD_ALPHABET.length] as string);
    }
  }
  return chars.join('');
}
