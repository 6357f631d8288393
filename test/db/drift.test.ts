import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { compareSchemas, findSchemaDrift, shapeFromDatabase, readDmmf, shapeFromDmmf } from '@paddock/db/drift';
import { queryRows } from './db-support';

describe('schema.prisma and the migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('describe the same database', async () => {
    expect(await findSchemaDrift({ databaseUrl: db.url })).toEqual([]);
    // Guards against comparing two empty things: the model really has the product's tables.
    expect(readDmmf().models.length).toBeGreaterThanOrEqual(25);
  });

  it('are told apart when schema.prisma changes without a migration', async () => {
    const dmmf = readDmmf();
    const tenant = dmmf.models.find((model) => model.name === 'Tenant');
    const name = tenant?.fields.find((field) => field.name === 'name');
    if (!name) throw new Error('Tenant.name is missing from the DMMF');
    name.isRequired = false;
    name.nativeType = ['VarChar', ['100']];
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      expect(compareSchemas(shapeFromDmmf(dmmf), await shapeFromDatabase(client))).toEqual([
        'tenants.name: type is character varying(200) in the database, character varying(100) in schema.prisma',
        'tenants.name: NOT NULL in the database, nullable in schema.prisma',
      ]);
    } finally {
      await client.end();
    }
  });

  // Runs last: it changes the database.
  it('are told apart when the database changes under the schema', async () => {
    // Each change is one kind of drift the check must name.
    await queryRows(
      db.ownerUrl,
      `ALTER TABLE tenants ALTER COLUMN status_reason SET NOT NULL;
       ALTER TABLE tenants ADD COLUMN nickname text;
       ALTER TABLE plans ALTER COLUMN price_minor TYPE bigint;
       ALTER TABLE users DROP CONSTRAINT users_tenant_id_fkey;
       DROP INDEX usage_events_idempotency_key_key;
       DROP INDEX runs_tenant_id_created_at_idx;
       ALTER TYPE run_status ADD VALUE 'paused';
       ALTER TABLE boxes ALTER COLUMN port DROP DEFAULT;
       CREATE TABLE stray (id int);`,
    );
    const drift = await findSchemaDrift({ databaseUrl: db.url });
    expect(drift).toEqual(
      expect.arrayContaining([
        'tenants.status_reason: NOT NULL in the database, nullable in schema.prisma',
        'tenants.nickname: column is in the database, not in schema.prisma',
        'plans.price_minor: type is bigint in the database, integer in schema.prisma',
        'users: foreign key (tenant_id) -> tenants(id) ON DELETE RESTRICT ON UPDATE CASCADE is in schema.prisma, not in the database',
        'usage_events: unique (idempotency_key) is in schema.prisma, not in the database',
        'runs: index (tenant_id, created_at) is in schema.prisma, not in the database',
        'boxes.port: has no default in the database, has database default in schema.prisma',
        'table stray is in the database, not in schema.prisma',
      ]),
    );
    expect(drift.some((line) => line.startsWith('enum run_status: values are'))).toBe(true);
    expect(drift).toHaveLength(9);
  });
});
