import { AppError } from '@paddock/contracts';
import type { FastifyInstance } from 'fastify';

// Text PostgreSQL cannot store, refused at the door. Found by the fuzz suite, each a 500 deep in the driver:
// - U+0000 (NUL): no text type holds it (`GET /v1/operator/billing/model-prices?model=a%00b`);
// - a lone surrogate (`"\ud800"` in JSON: half of a UTF-16 pair, not a character): jsonb refuses the escape, so any
//   value that reaches a jsonb column (job payloads, audit details) failed (`POST /v1/operator/releases` with
//   `{"notes":"x\ud800y"}`); text columns silently stored U+FFFD instead.
// No field of this API means either, so every request holding one is refused before any schema or handler sees it,
// naming the field. Headers cannot carry them (the HTTP parser refuses NUL; header values are bytes, not UTF-16).

// With the u flag a surrogate pair is one code point, so this matches only a surrogate standing alone.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Why a string cannot be stored, or null when it can. */
export function unstorable(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode (it holds a lone UTF-16 surrogate)';
  return null;
}

/** The first field (`body.a.b[2]`) whose key or string value cannot be stored, with why; iterative (deep bodies). */
export function findUnstorableText(root: unknown, rootPath: string): { path: string; message: string } | null {
  const stack: Array<[unknown, string]> = [[root, rootPath]];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, string];
    if (typeof value === 'string') {
      const message = unstorable(value);
      if (message) return { path, message };
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        stack.push([item, `${path}[${i}]`]);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const message = unstorable(key);
        if (message) return { path, message: `has a key that ${message}` };
        stack.push([item, `${path}.${key}`]);
      }
    }
  }
  return null;
}

export function refuseUnstorableText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const found =
      findUnstorableText(request.params, 'params') ??
      findUnstorableText(request.query, 'querystring') ??
      findUnstorableText(request.body, 'body');
    if (found === null) return;
    throw new AppError('validation_failed', 'The request holds text that no field accepts.', { details: [found] });
  });
}
