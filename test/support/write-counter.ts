import pg from 'pg';

/**
 * Counts every row written to a test database, per table and operation, so a test can tell that a rejected request
 * wrote nothing at all (not only that row counts came back level: an UPDATE changes no count). Row-level triggers,
 * so a statement that matched no row (an UPDATE ... WHERE, an INSERT ... ON CONFLICT DO NOTHING that found its row)
 * counts nothing; the counter row is written in the writer's own transaction, so a rolled-back write counts
 * nothing either. An UPDATE that changes only `last_used_at` (authentication's bookkeeping) is not counted. Installed as the owner role (it owns the tables); the trigger function runs as its owner, so the
 * app role needs no grant. For test databases only.
 */
export interface WriteCounter {
  /** Writes so far, `table:OPERATION` -> rows. */
  read(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

const INSTALL = `
CREATE TABLE fuzz_row_writes (what text PRIMARY KEY, rows bigint NOT NULL);
CREATE FUNCTION fuzz_count_row_write() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  -- Authentication's own bookkeeping (api_keys.last_used_at, at most once a minute per key) is written by any
  -- authenticated request, accepted or not: it is no trace of what the request asked for.
  IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'last_used_at') = (to_jsonb(OLD) - 'last_used_at') THEN
    RETURN NULL;
  END IF;
  INSERT INTO fuzz_row_writes (what, rows) VALUES (TG_TABLE_NAME || ':' || TG_OP, 1)
  ON CONFLICT (what) DO UPDATE SET rows = fuzz_row_writes.rows + 1;
  RETURN NULL;
END $$;
DO $$
DECLARE t record;
BEGIN
  -- Partitions inherit their parent's trigger, so only top-level tables get one.
  FOR t IN
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'fuzz_row_writes'
  LOOP
    EXECUTE format(
      'CREATE TRIGGER fuzz_count_row_write AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION fuzz_count_row_write()',
      t.relname);
  END LOOP;
END $$;
`;

export async function installWriteCounter(ownerUrl: string): Promise<WriteCounter> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  await client.query(INSTALL);
  return {
    async read() {
      const { rows } = await client.query<{ what: string; rows: string }>('SELECT what, rows FROM fuzz_row_writes');
      return Object.fromEntries(rows.map((row) => [row.what, Number(row.rows)]));
    },
    close: () => client.end(),
  };
}

/** What changed between two readings, `table:OPERATION` -> rows (empty: nothing was written). */
export function writesBetween(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const changed: Record<string, number> = {};
  for (const [what, rows] of Object.entries(after)) {
    if (rows !== (before[what] ?? 0)) changed[what] = rows - (before[what] ?? 0);
  }
  return changed;
}
