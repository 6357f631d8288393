import { Prisma } from '@paddock/db';
import {
  afterSorted,
  decodeSortedCursor,
  orderBySorted,
  type SortOrder,
  sortedCursorError,
} from '../pagination/sorted-keyset';
import type { ServiceClients } from '../clients';

/**
 * The orders the operator's tenant list can be read in. Each is backed by a btree index on the same columns plus
 * id (migrations 20261204140000 and 20261205120000), so a page is an index range scan at 10,000 tenants and beyond.
 * Status sorts in the enum's (lifecycle) order, then by creation.
 */
export type TenantSort = 'created' | 'name' | 'slug' | 'status';

interface CursorRow {
  name: string;
  slug: string;
  status: string;
  created_at: Date;
}

const COLUMNS: Record<TenantSort, Prisma.Sql[]> = {
  created: [Prisma.sql`t.created_at`],
  name: [Prisma.sql`t.name`],
  slug: [Prisma.sql`t.slug`],
  status: [Prisma.sql`t.status`, Prisma.sql`t.created_at`],
};

// The cursor row's values, typed like the columns they are compared with.
const VALUES: Record<TenantSort, (row: CursorRow) => Prisma.Sql[]> = {
  created: (row) => [Prisma.sql`${row.created_at}::timestamptz`],
  name: (row) => [Prisma.sql`${row.name}::text`],
  slug: (row) => [Prisma.sql`${row.slug}::text`],
  status: (row) => [Prisma.sql`${row.status}::tenant_status`, Prisma.sql`${row.created_at}::timestamptz`],
};

const ID = Prisma.sql`t.id`;

export function tenantOrderBy(sort: TenantSort, order: SortOrder): Prisma.Sql {
  return orderBySorted(COLUMNS[sort], ID, order);
}

/** The condition for the rows after the cursor's tenant in this sort (its values are read by primary key). */
export async function tenantsAfterCursor(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  cursor: string,
  sort: TenantSort,
  order: SortOrder,
): Promise<Prisma.Sql> {
  const id = decodeSortedCursor(cursor, { sort, order });
  const [row] = await prisma.$queryRaw<CursorRow[]>`
    SELECT name, slug, status::text AS status, created_at FROM tenants WHERE id = ${id}::uuid`;
  if (!row) throw sortedCursorError();
  return afterSorted(COLUMNS[sort], ID, [...VALUES[sort](row), Prisma.sql`${id}::uuid`], order);
}
