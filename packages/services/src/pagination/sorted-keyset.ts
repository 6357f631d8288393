import { AppError } from '@paddock/contracts';
import { Prisma } from '@paddock/db';

/**
 * Keyset pages over a list sorted by a column the person picked (name, status, ...), for any list page of the
 * console. The order is always the picked columns then the row id, all in one direction, so it is total and one
 * row comparison `(cols..., id) > (values..., id)` both bounds the page and matches a btree index on the same
 * columns: a page deep in the list costs what the first one costs.
 *
 * The cursor names only the sort, the direction and the last row's id: the next page reads that row's values first
 * (one primary-key lookup), so values of any size or type never travel in URLs.
 */

export type SortOrder = 'asc' | 'desc';

export interface SortedCursor {
  sort: string;
  order: SortOrder;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function badCursor(): AppError {
  return new AppError('validation_failed', 'The cursor is not one this API gave out for this sort.', {
    details: [{ path: 'querystring.cursor', message: 'must be a nextCursor from a previous page with the same sort' }],
  });
}

export function encodeSortedCursor(cursor: SortedCursor): string {
  return Buffer.from(`${cursor.sort}|${cursor.order}|${cursor.id}`, 'utf8').toString('base64url');
}

/** The cursor's row id; a cursor of another sort or direction (or none of ours) is a 400 naming the field. */
export function decodeSortedCursor(text: string, expect: { sort: string; order: SortOrder }): string {
  const [sort, order, id] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  if (sort !== expect.sort || order !== expect.order || !id || !UUID.test(id)) throw badCursor();
  return id;
}

/** `ORDER BY` for the sort: its columns, then the id, all in one direction. */
export function orderBySorted(columns: Prisma.Sql[], id: Prisma.Sql, order: SortOrder): Prisma.Sql {
  const direction = order === 'asc' ? Prisma.sql`ASC` : Prisma.sql`DESC`;
  return Prisma.join(
    [...columns, id].map((column) => Prisma.sql`${column} ${direction}`),
    ', ',
  );
}

/** The rows after the cursor's row: `(columns..., id) > (values..., id)` (`<` when descending). */
export function afterSorted(columns: Prisma.Sql[], id: Prisma.Sql, values: Prisma.Sql[], order: SortOrder) {
  const compare = order === 'asc' ? Prisma.sql`>` : Prisma.sql`<`;
  return Prisma.sql`(${Prisma.join([...columns, id], ', ')}) ${compare} (${Prisma.join(values, ', ')})`;
}

export { badCursor as sortedCursorError };
