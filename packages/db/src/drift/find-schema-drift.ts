import pg from 'pg';
import { parseDatabaseUrl } from '../database-url';
import { compareSchemas } from './compare-schemas';
import { shapeFromDatabase } from './shape-from-database';
import { readDmmf, shapeFromDmmf } from './shape-from-dmmf';

/**
 * How a migrated database differs from prisma/schema.prisma (tables, columns, types, nullability, defaults,
 * primary keys, uniques, indexes, foreign keys, enums). CHECK constraints and partial or expression indexes are
 * hand-written extras the Prisma schema cannot express, and are not compared.
 */
export async function findSchemaDrift(options: { databaseUrl: string; dmmfPath?: string }): Promise<string[]> {
  const expected = shapeFromDmmf(readDmmf(options.dmmfPath));
  const client = new pg.Client({ connectionString: parseDatabaseUrl(options.databaseUrl).connectionString });
  await client.connect();
  try {
    return compareSchemas(expected, await shapeFromDatabase(client));
  } finally {
    await client.end();
  }
}
