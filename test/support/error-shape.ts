import { ERROR_CODES, type ErrorCode, httpStatusFor } from '@paddock/contracts';
import { z } from 'zod';

// The one error shape every failed API request answers (ARCHITECTURE.md, Errors), exactly: no extra keys at the top
// or in `error`, a known code whose status is the one the reply carries, a message for a person.
const ErrorBodySchema = z.strictObject({
  error: z.strictObject({
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    message: z.string().min(1),
    details: z
      .array(z.looseObject({ path: z.string().optional(), message: z.string() }))
      .min(1)
      .optional(),
    requestId: z.string().min(1),
  }),
});

/** Traces of internals that must never reach a client: stack frames, source paths, driver and ORM messages. */
const LEAKS = [
  /\n\s+at /,
  /node_modules/,
  /\/(src|dist)\/[\w/-]+\.[jt]s/,
  /\b(Prisma|PrismaClient|PostgresError|ECONNREFUSED|ReplyError)\b/,
  /invalid byte sequence for encoding/,
];

/** Why an error reply breaks the contract, or null when it keeps it. */
export function errorShapeProblem(status: number, contentType: string | undefined, body: string): string | null {
  if (!String(contentType ?? '').startsWith('application/json')) return `content-type ${contentType ?? '(none)'}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'body is not JSON';
  }
  const checked = ErrorBodySchema.safeParse(parsed);
  if (!checked.success)
    return `not the error shape: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
  if (httpStatusFor(checked.data.error.code) !== status) {
    return `code ${checked.data.error.code} answered with ${status}, not ${httpStatusFor(checked.data.error.code)}`;
  }
  const leak = LEAKS.find((pattern) => pattern.test(body));
  return leak ? `leaks internals (${leak})` : null;
}
