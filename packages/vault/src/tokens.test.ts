import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apiKeyPrefix, generateApiKey, generatePassword, generateSessionToken, hashToken } from './tokens';

describe('API keys', () => {
  it('has a visible prefix, a secret part, and stores only its sha256', () => {
    const { key, prefix, hash } = generateApiKey();
    expect(prefix).toMatch(/^pdk_live_[0-9a-f]{12}$/);
    expect(key.startsWith(`${prefix}_`)).toBe(true);
    expect(key.length).toBe(prefix.length + 1 + 43);
    expect(hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hash).not.toContain(key.slice(prefix.length + 1));
    expect(generateApiKey('test').prefix).toMatch(/^pdk_test_/);
  });

  it('is different every time', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey().key));
    const prefixes = new Set(Array.from({ length: 200 }, () => generateApiKey().prefix));
    expect(keys.size).toBe(200);
    expect(prefixes.size).toBe(200);
  });

  it('recognises well-formed keys only', () => {
    const { key, prefix } = generateApiKey();
    expect(apiKeyPrefix(key)).toBe(prefix);
    expect(apiKeyPrefix(`${key}x`)).toBeNull();
    expect(apiKeyPrefix(prefix)).toBeNull();
    expect(apiKeyPrefix("pdk_live_000000000000_' OR 1=1 --")).toBeNull();
  });
});

describe('session tokens and passwords', () => {
  it('hashes session tokens like API keys', () => {
    const { token, hash } = generateSessionToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hashToken(token)).toBe(hash);
  });

  it('generates readable random passwords of the asked length', () => {
    const passwords = Array.from({ length: 100 }, () => generatePassword());
    for (const password of passwords) expect(password).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{24}$/);
    expect(new Set(passwords).size).toBe(100);
    expect(generatePassword(40)).toHaveLength(40);
  });
});
