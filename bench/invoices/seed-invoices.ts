import pg from 'pg';
import { copyRows } from '@paddock/services';

export interface InvoiceSeed {
  tenants: number;
  events: number;
  /** The month the events happened in (closed by the benchmark). */
  period: string;
}

const MODELS = ['m-small', 'm-medium', 'm-large', 'm-vision', 'm-embed'];
/** Micros per million tokens of each model: each event's charge is tokens x price picos, exact. */
const PRICES = [150_000n, 3_000_000n, 15_000_000n, 5_000_000n, 20_000n];
const CHUNK = 250_000;

/**
 * `tenants` tenants (a box, a plan span each, one box-time cost entry) and `events` priced usage events spread over
 * the month in time order, so consecutive rows belong to different tenants, as collection writes them. Usage rows go
 * in with COPY in chunks; the table's secondary indexes are dropped first and built again after (as a restore
 * would), and foreign-key triggers are off for the seeding session (every id comes from rows written here).
 */
export async function seedForInvoices(
  adminUrl: string,
  options: InvoiceSeed,
  log: (line: string) => void,
): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const timed = async (label: string, work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    log(`seed: ${label} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  try {
    await client.query(`SET session_replication_role = replica`);
    const start = new Date(`${options.period}-01T00:00:00Z`);
    const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    const plan = await client.query<{ id: string }>(
      `INSERT INTO plans (code, name, price_minor, provider, included_usage_micros, usage_markup_bps)
       VALUES ('bench-invoices', 'Bench', 2900, 'local', 5000000, 1500) RETURNING id`,
    );
    const planId = plan.rows[0]?.id;
    await timed(`${options.tenants} tenants, boxes, plan spans, box time`, async () => {
      await client.query(
        `INSERT INTO tenants (slug, name, status, plan_id, created_at)
         SELECT 'inv-' || i, 'Invoices ' || i, 'active', $1, $2::timestamptz - interval '1 month'
           FROM generate_series(1, $3::int) i`,
        [planId, start, options.tenants],
      );
      await client.query(`INSERT INTO boxes (tenant_id, provider, status) SELECT id, 'local', 'ready' FROM tenants`);
      await client.query(
        `INSERT INTO subscriptions (tenant_id, plan_id, status, started_at, current_period_start, current_period_end)
         SELECT id, $1, 'active', created_at, created_at, $2 FROM tenants`,
        [planId, end],
      );
      await client.query(
        `INSERT INTO cost_entries (tenant_id, box_id, kind, description, quantity, unit, amount_micros, source_key,
                                   occurred_at)
         SELECT b.tenant_id, b.id, 'box_time', 'box hours', 2592000, 'second', 3600000, 'box:' || b.id || ':' || $1,
                $2::timestamptz + interval '1 day'
           FROM boxes b`,
        [options.period, start],
      );
    });
    const owners = await client.query<{ tenant_id: string; box_id: string }>(
      `SELECT tenant_id::text, id::text AS box_id FROM boxes ORDER BY tenant_id`,
    );
    const boxes = owners.rows;
    const indexes = await client.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes
        WHERE tablename = 'usage_events' AND indexname <> 'usage_events_pkey'`,
    );
    await timed('drop usage_events secondary indexes', () =>
      client.query(indexes.rows.map((i) => `DROP INDEX "${i.indexname}";`).join('\n')),
    );
    const span = end.getTime() - start.getTime();
    await timed(`${options.events} usage events (COPY, ${CHUNK} a chunk)`, async () => {
      for (let first = 0; first < options.events; first += CHUNK) {
        const lines: string[] = [];
        for (let i = first; i < Math.min(options.events, first + CHUNK); i++) {
          const owner = boxes[i % boxes.length];
          if (!owner) throw new Error('no box');
          const m = Math.floor(i / boxes.length) % MODELS.length;
          const tokensIn = 200 + (i % 1800);
          const tokensOut = 50 + (i % 450);
          const picos = BigInt(tokensIn + tokensOut) * (PRICES[m] ?? 0n);
          const at = new Date(start.getTime() + Math.floor((i / options.events) * span)).toISOString();
          lines.push(
            `${owner.tenant_id}\t${owner.box_id}\t${owner.box_id}:run-${i}:1\trun-${i}\t1\tstep_finished\t${MODELS[m]}\t${tokensIn}\t${tokensOut}\t${picos}\tpriced\t${at}`,
          );
        }
        await copyRows(
          client as unknown as pg.PoolClient,
          `COPY usage_events (tenant_id, box_id, idempotency_key, runtime_run_id, seq, type, model, tokens_in,
                              tokens_out, charged_picos, rating, occurred_at) FROM STDIN`,
          lines,
        );
      }
    });
    await timed('build usage_events indexes again', () =>
      client.query(indexes.rows.map((i) => `${i.indexdef};`).join('\n')),
    );
    await timed('vacuum analyze', () => client.query('VACUUM ANALYZE'));
  } finally {
    await client.query(`SET session_replication_role = DEFAULT`).catch(() => {});
    await client.end();
  }
}

/** Back to no invoices (between runs): the usage stays, numbering starts again at 1. */
export async function resetInvoices(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // DELETE, not TRUNCATE ... CASCADE: that would empty cost_entries too (it references invoice lines).
    await client.query('DELETE FROM invoice_lines');
    await client.query('DELETE FROM invoices');
    await client.query('DELETE FROM invoice_number_counters');
    await client.query('VACUUM ANALYZE invoices, invoice_lines');
  } finally {
    await client.end();
  }
}
