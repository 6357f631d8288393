import { describe, expect, it } from 'vitest';
import { findNul } from './reject-nul';

describe('findNul', () => {
  it('names the field holding a NUL, in values and keys, however deep', () => {
    expect(findNul({ model: 'a\u0000b' }, 'querystring')).toBe('querystring.model');
    expect(findNul({ a: [{ b: 'ok' }, { c: '\u0000' }] }, 'body')).toBe('body.a[1].c');
    expect(findNul({ 'k\u0000': 1 }, 'body')).toBe('body');
    const deep = JSON.parse(`${'['.repeat(5_000)}"\\u0000"${']'.repeat(5_000)}`);
    expect(findNul(deep, 'body')).toMatch(/^body(\[0\]){5000}$/);
  });

  it('passes text without one, including other control characters and odd unicode', () => {
    expect(findNul({ a: 'tab\there', b: '\uD800', c: '😀', d: 0, e: null, f: [true] }, 'body')).toBeNull();
    expect(findNul(undefined, 'body')).toBeNull();
  });
});
