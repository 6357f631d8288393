import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyring, parseKeyring } from './keyring';

const key = randomBytes(32).toString('base64');

describe('parseKeyring', () => {
  it('reads a bare key as key k1', () => {
    const keyring = parseKeyring(key);
    expect(keyring.activeKeyId).toBe('k1');
    expect(keyring.keys.get('k1')?.toString('base64')).toBe(key);
  });

  it('reads id:key lists with the first as active', () => {
    const other = randomBytes(32).toString('base64');
    const keyring = parseKeyring(` k2:${other} , k1:${key} `);
    expect(keyring.activeKeyId).toBe('k2');
    expect([...keyring.keys.keys()]).toEqual(['k2', 'k1']);
  });

  it('refuses keys of the wrong size or with junk, naming the key', () => {
    expect(() => parseKeyring(randomBytes(16).toString('base64'))).toThrow(/"k1" must be 32 bytes.*got 16 bytes/);
    expect(() => parseKeyring(`main:${key.slice(0, -4)}`)).toThrow(/"main" must be 32 bytes/);
    expect(() => parseKeyring(`main:${key}!!`)).toThrow(/"main" must be 32 bytes/);
  });

  it('refuses empty, duplicate, or badly named keyrings', () => {
    expect(() => parseKeyring(' , ')).toThrow(/empty/);
    expect(() => parseKeyring(`a:${key},a:${key}`)).toThrow(/appears twice/);
    expect(() => parseKeyring(`a b:${key}`)).toThrow(/key id "a b"/);
    expect(() => parseKeyring(`:${key},b:${key}`)).toThrow(/id:base64key/);
    expect(() => createKeyring({ activeKeyId: 'x', keys: { a: key } })).toThrow(/active key "x" is not among/);
  });
});
