import { AppError } from '@paddock/contracts';
import type { FastifyInstance } from 'fastify';

// PostgreSQL's text types cannot hold U+0000: a NUL anywhere in a value that reaches a query (a filter in a query
// string, a name in a body) failed deep in the driver as a 500 (found by the fuzz suite: `GET
// /v1/operator/billing/model-prices?model=a%00b`). No field of this API means a NUL, so every request is refused at
// the door, before any schema or handler sees it, with the field that held it. Headers cannot carry one (the HTTP
// parser refuses it).

const NUL = '\u0000';

/** The first path (`body.a.b[2]`) whose key or string value holds a NUL, or null. Iterative: bodies nest deep. */
export function findNul(root: unknown, rootPath: string): string | null {
  const stack: Array<[unknown, string]> = [[root, rootPath]];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, string];
    if (typeof value === 'string') {
      if (value.includes(NUL)) return path;
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        stack.push([item, `${path}[${i}]`]);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (key.includes(NUL)) return path;
        stack.push([item, `${path}.${key}`]);
      }
    }
  }
  return null;
}

export function rejectNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const where =
      findNul(request.params, 'params') ?? findNul(request.query, 'querystring') ?? findNul(request.body, 'body');
    if (where === null) return;
    throw new AppError('validation_failed', 'The request holds a NUL character (U+0000), which no field accepts.', {
      details: [{ path: where, message: 'must not contain the NUL character (U+0000)' }],
    });
  });
}
