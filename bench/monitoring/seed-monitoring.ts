import pg from 'pg';

export interface MonitoringSeed {
  tenants: number;
  days: number;
  runsPerDay: number;
}

/**
 * `tenants` tenants with one chain (one version) each and `runsPerDay` finished runs a day over `days` days, each
 * with one step naming one of 20 models, written by INSERT ... SELECT from generate_series (server side: no rows
 * cross the wire). Tokens and durations are noisy around a per-tenant level (a hash of the tenant number), steady:
 * a round should find nearly nothing. History is stamped as written when it ran (updated_at = finished_at).
 */
export async function seedForMonitoring(
  adminUrl: string,
  options: MonitoringSeed,
  log: (line: string) => void,
): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const timed = async (label: string, sql: string, params: unknown[] = []) => {
    const started = performance.now();
    const result = await client.query(sql, params);
    log(`seed: ${label} (${result.rowCount ?? 0} rows) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  try {
    // Every id below comes from rows written here: foreign-key triggers are off for this session.
    await client.query(`SET session_replication_role = replica`);
    const plan = await client.query<{ id: string }>(
      `INSERT INTO plans (code, name, price_minor, provider) VALUES ('bench-monitoring', 'Bench', 0, 'local') RETURNING id`,
    );
    await timed(
      'tenants',
      `INSERT INTO tenants (id, slug, name, status, plan_id)
       SELECT md5('t' || n)::uuid, 'bench-' || n, 'bench-' || n, 'active', $1 FROM generate_series(1, $2) AS n`,
      [plan.rows[0]?.id, options.tenants],
    );
    await timed(
      'chains and versions',
      `WITH c AS (
         INSERT INTO chains (id, tenant_id, name)
         SELECT md5('c' || n)::uuid, md5('t' || n)::uuid, 'chain' FROM generate_series(1, $1) AS n RETURNING id, tenant_id)
       INSERT INTO chain_versions (id, tenant_id, chain_id, version, content_hash, definition, prompts, status)
       SELECT md5('v' || c.id)::uuid, c.tenant_id, c.id, 1, md5(c.id::text) || md5(c.id::text), '{}', '{}', 'active' FROM c`,
      [options.tenants],
    );
    const total = options.tenants * options.days * options.runsPerDay;
    await timed(
      'runs',
      `INSERT INTO runs (id, tenant_id, chain_id, chain_version_id, status, tokens_in, tokens_out, cost_micros,
                         duration_ms, created_at, started_at, finished_at, updated_at)
       SELECT md5('r' || i)::uuid, md5('t' || t)::uuid, md5('c' || t)::uuid, md5('v' || md5('c' || t)::uuid)::uuid,
              'succeeded', tokens, tokens / 10, tokens / 5, 20000, at, at, at, at
         FROM (SELECT i, 1 + (i % $1) AS t,
                      now() - (($2::float8 * 86400) * (1 - (i / $1)::float8 / ($3::float8))) * interval '1 second' AS at,
                      (1000 + (i % $1) % 97 * 100) * (0.7 + random() * 0.6) AS tokens
                 FROM generate_series(0, $4 - 1) AS i) s`,
      [options.tenants, options.days, options.days * options.runsPerDay, total],
    );
    await timed(
      'run steps',
      `INSERT INTO run_steps (tenant_id, run_id, name, position, attempt, status, model, tokens_in, tokens_out,
                              duration_ms, started_at, finished_at, updated_at)
       SELECT tenant_id, id, 'write', 0, 1, 'succeeded', 'm-' || (abs(hashtext(tenant_id::text)) % 20), tokens_in,
              tokens_out, (15000 + random() * 10000)::int, finished_at, finished_at, finished_at
         FROM runs WHERE chain_id IN (SELECT id FROM chains WHERE name = 'chain')`,
    );
    await timed('analyze', `ANALYZE tenants, chains, chain_versions, runs, run_steps`);
  } finally {
    await client.end();
  }
}

/** New runs for `count` tenants, finished now (what a round's increment sees). */
export async function addRecentRuns(adminUrl: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(
      `WITH r AS (
         INSERT INTO runs (tenant_id, chain_id, chain_version_id, status, tokens_in, tokens_out, cost_micros, duration_ms,
                           created_at, started_at, finished_at)
         SELECT md5('t' || n)::uuid, md5('c' || n)::uuid, md5('v' || md5('c' || n)::uuid)::uuid, 'succeeded', 1500, 150,
                300, 20000, now(), now(), now()
           FROM generate_series(1, $1) AS n RETURNING id, tenant_id)
       INSERT INTO run_steps (tenant_id, run_id, name, position, attempt, status, model, duration_ms, started_at, finished_at)
       SELECT tenant_id, id, 'write', 0, 1, 'succeeded', 'm-' || (abs(hashtext(tenant_id::text)) % 20), 20000, now(), now()
         FROM r`,
      [count],
    );
  } finally {
    await client.end();
  }
}
