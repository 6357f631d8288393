import type { Queryable } from '../migrate';
import type { ColumnShape, ForeignKeyAction, SchemaShape, TableShape } from './schema-shape';

const ACTIONS: Record<string, ForeignKeyAction> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/** Tables the database has on purpose that the Prisma schema does not describe. */
export const UNMODELLED_TABLES = ['_paddock_migrations'];

/**
 * Reads the public schema back from information_schema and pg_catalog (pg_catalog for what information_schema
 * cannot say: exact type modifiers, index column order, partial indexes).
 */
export async function shapeFromDatabase(client: Queryable, schema = 'public'): Promise<SchemaShape> {
  const q = (sql: string) => client.query(sql.replaceAll(':schema', `'${schema.replaceAll("'", "''")}'`));
  const tables: Record<string, TableShape> = {};
  const table = (name: string): TableShape => {
    tables[name] ??= { columns: {}, primaryKey: [], uniques: [], indexes: [], foreignKeys: [] };
    return tables[name];
  };

  const tableRows = await q(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = :schema AND table_type = 'BASE TABLE'",
  );
  for (const row of tableRows.rows) {
    if (!UNMODELLED_TABLES.includes(String(row.table_name))) table(String(row.table_name));
  }

  const columnRows = await q(`
    SELECT c.table_name, c.column_name, c.is_nullable, c.column_default,
           format_type(a.atttypid, a.atttypmod) AS type
      FROM information_schema.columns c
      JOIN pg_catalog.pg_attribute a
        ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
     WHERE c.table_schema = :schema`);
  for (const row of columnRows.rows) {
    const name = String(row.table_name);
    if (!tables[name]) continue;
    const shape: ColumnShape = {
      type: String(row.type),
      nullable: row.is_nullable === 'YES',
      hasDefault: row.column_default !== null,
    };
    table(name).columns[String(row.column_name)] = shape;
  }

  // Index columns in index order; expression and partial indexes are hand-written extras the schema cannot state.
  const indexRows = await q(`
    SELECT t.relname AS table_name, i.indisprimary AS is_primary, i.indisunique AS is_unique,
           array_to_json(ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
                                JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n)) AS columns
      FROM pg_index i
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace ns ON ns.oid = t.relnamespace
     WHERE ns.nspname = :schema AND i.indpred IS NULL AND i.indexprs IS NULL`);
  for (const row of indexRows.rows) {
    const shape = tables[String(row.table_name)];
    if (!shape) continue;
    const columns = row.columns as string[];
    if (row.is_primary === true) shape.primaryKey = columns;
    else if (row.is_unique === true) shape.uniques.push(columns);
    else shape.indexes.push(columns);
  }

  const foreignKeyRows = await q(`
    SELECT t.relname AS table_name, r.relname AS referenced_table, c.confdeltype, c.confupdtype,
           array_to_json(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
                                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n)) AS columns,
           array_to_json(ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n)
                                JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n)) AS referenced_columns
      FROM pg_constraint c
      JOIN pg_class t ON t.oid = c.conrelid
      JOIN pg_class r ON r.oid = c.confrelid
      JOIN pg_namespace ns ON ns.oid = t.relnamespace
     WHERE ns.nspname = :schema AND c.contype = 'f'`);
  for (const row of foreignKeyRows.rows) {
    tables[String(row.table_name)]?.foreignKeys.push({
      columns: row.columns as string[],
      referencedTable: String(row.referenced_table),
      referencedColumns: row.referenced_columns as string[],
      onDelete: ACTIONS[String(row.confdeltype)] ?? 'NO ACTION',
      onUpdate: ACTIONS[String(row.confupdtype)] ?? 'NO ACTION',
    });
  }

  const enumRows = await q(`
    SELECT t.typname AS name, array_to_json(array_agg(e.enumlabel ORDER BY e.enumsortorder)) AS labels
      FROM pg_type t
      JOIN pg_enum e ON e.enumtypid = t.oid
      JOIN pg_namespace ns ON ns.oid = t.typnamespace
     WHERE ns.nspname = :schema
     GROUP BY t.typname`);
  const enums = Object.fromEntries(enumRows.rows.map((row) => [String(row.name), row.labels as string[]]));
  return { tables, enums };
}
