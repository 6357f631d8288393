import { isAppError } from '@paddock/contracts';
import { ChainInvalidError } from './chain-files';

/** Exit codes: 0 ok, 1 done-but-not-ok, 2 bad input, 3 not found, 4 refused/conflict, 5 not ready, 70 internal. */
export function exitCodeFor(error: unknown): number {
  if (!isAppError(error)) return 70;
  switch (error.code) {
    case 'not_found':
      return 3;
    case 'conflict':
    case 'forbidden':
      return 4;
    case 'not_ready':
      return 5;
    case 'internal':
      return 70;
    default:
      return 2;
  }
}

export function errorJson(error: unknown) {
  if (error instanceof ChainInvalidError) {
    return { code: error.code, message: 'chain is invalid', errors: error.errors };
  }
  if (isAppError(error))
    return { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}
