import { AppError } from '@paddock/contracts';

/**
 * Keyset page cursors over (created_at, id), newest first: stable while rows are added, opaque to clients. A cursor
 * this API did not give out is a 400 naming the query field.
 */
export function encodeCreatedAtCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`, 'utf8').toString('base64url');
}

export function decodeCreatedAtCursor(cursor: string): { createdAt: Date; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)\|([0-9a-f-]{36})$/.exec(text);
  const createdAt = match ? new Date(match[1] as string) : undefined;
  if (!match || !createdAt || Number.isNaN(createdAt.getTime())) {
    throw new AppError('validation_failed', 'The cursor is not one this API gave out.', {
      details: [{ path: 'querystring.cursor', message: 'must be a nextCursor from a previous page' }],
    });
  }
  return { createdAt, id: match[2] as string };
}
