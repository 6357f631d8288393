import { describe, expect, it } from 'vitest';
import { findUnstorableText } from './refuse-unstorable-text';

describe('findUnstorableText', () => {
  it('names the field holding a NUL or a lone surrogate, in values and keys, however deep', () => {
    expect(findUnstorableText({ model: 'a\u0000b' }, 'querystring')).toEqual({
      path: 'querystring.model',
      message: 'must not contain the NUL character (U+0000)',
    });
    expect(findUnstorableText({ notes: 'x\uD800y' }, 'body')?.path).toBe('body.notes');
    expect(findUnstorableText({ a: [{ b: 'ok' }, { c: '\uDFFF' }] }, 'body')?.path).toBe('body.a[1].c');
    expect(findUnstorableText({ 'k\u0000': 1 }, 'body')?.path).toBe('body');
    const deep = JSON.parse(`${'['.repeat(5_000)}"\\u0000"${']'.repeat(5_000)}`);
    expect(findUnstorableText(deep, 'body')?.path).toMatch(/^body(\[0\]){5000}$/);
  });

  it('passes storable text: other control characters, pairs of surrogates (emoji), any script', () => {
    expect(findUnstorableText({ a: 'tab\there', b: '😀', c: 'é 東京', d: 0, e: null, f: [true] }, 'body')).toBeNull();
    expect(findUnstorableText(undefined, 'body')).toBeNull();
  });
});
