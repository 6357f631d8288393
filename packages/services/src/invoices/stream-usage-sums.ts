import type { BoxTime, Credit, ModelUsage, Period } from '@paddock/billing';
import type { PoolClient } from 'pg';

/** The reader's session name: settledCutoff does not wait for it (it only reads, it never writes usage). */
export const CLOSE_READER_APP = 'paddock-invoice-close';

/** Every pending tenant's receipt window starts where its previous invoice ended (SQL shared by both cursors). */
const WINDOWS = `
  SELECT t.id AS tenant_id,
         coalesce((SELECT max(i.usage_through) FROM invoices i
                    WHERE i.tenant_id = t.id AND i.kind = 'invoice' AND i.period_start < $1),
                  '-infinity') AS usage_from
    FROM tenants t
   WHERE t.created_at < $2 AND (t.deleted_at IS NULL OR t.deleted_at >= $1)
     AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.tenant_id = t.id AND i.kind = 'invoice' AND i.period_start >= $1)`;

export interface TenantSums {
  usage: ModelUsage[];
  boxTime: BoxTime;
  credits: Credit[];
}

interface SumRow {
  tenant_id: string;
  usage?: ModelUsage;
  boxTime?: BoxTime;
  credit?: Credit;
}

/**
 * The month's usage summed per tenant and model in ONE pass over the usage table (a hash aggregate: PostgreSQL
 * holds one row per tenant and model, this process one page of them), read in tenant order through two cursors
 * in the reader's transaction (a pg connection of its own: rows come straight from node-postgres, no ORM layer). `take(lastTenantId)` returns the sums of every tenant up to that id and keeps the
 * rest for the next page, so the close walks tenant pages and the sums side by side.
 *
 * One pass instead of one aggregate per page: a page's rows are spread over the whole month's heap (events of all
 * tenants interleave in time), so per-page aggregates would read the table once per page.
 */
export class UsageSumStream {
  private readonly buffers: Record<'usage' | 'cost', { rows: SumRow[]; done: boolean }> = {
    usage: { rows: [], done: false },
    cost: { rows: [], done: false },
  };

  private constructor(
    private readonly client: PoolClient,
    private readonly fetchSize: number,
  ) {}

  static async open(client: PoolClient, period: Period, cutoff: Date, fetchSize = 2_000): Promise<UsageSumStream> {
    // Instants this process made (never input), inlined: a DECLARE takes no bind parameters.
    const start = `'${new Date(period.startMs).toISOString()}'::timestamptz`;
    const end = `'${new Date(period.endMs).toISOString()}'::timestamptz`;
    const through = `'${cutoff.toISOString()}'::timestamptz`;
    const windows = WINDOWS.replaceAll('$1', start).replaceAll('$2', end);
    // Enough memory for the month's hash aggregate (one entry per tenant and model), so it never spills to disk.
    await client.query(`SET LOCAL work_mem = '64MB'`);
    await client.query(`SET LOCAL application_name = '${CLOSE_READER_APP}'`);
    await client.query(
      `DECLARE close_usage NO SCROLL CURSOR FOR
       WITH w AS (${windows})
       SELECT u.tenant_id::text AS tenant_id, coalesce(u.model, '') AS model,
              sum(u.tokens_in)::text AS tokens_in, sum(u.tokens_out)::text AS tokens_out,
              count(*)::text AS events, sum(u.charged_picos)::text AS picos
         FROM usage_events u JOIN w ON w.tenant_id = u.tenant_id
        WHERE u.rating = 'priced' AND u.occurred_at < ${end}
          AND u.received_at >= w.usage_from AND u.received_at < ${through}
        GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    await client.query(
      `DECLARE close_costs NO SCROLL CURSOR FOR
       WITH w AS (${windows})
       SELECT c.tenant_id::text AS tenant_id, c.kind::text AS kind,
              CASE WHEN c.kind = 'adjustment' THEN c.description ELSE '' END AS description,
              sum(c.quantity)::text AS seconds, sum(c.amount_micros)::text AS micros
         FROM cost_entries c JOIN w ON w.tenant_id = c.tenant_id
        WHERE c.kind IN ('box_time', 'adjustment') AND c.occurred_at < ${end}
          AND c.created_at >= w.usage_from AND c.created_at < ${through}
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    );
    return new UsageSumStream(client, fetchSize);
  }

  /** Sums of the tenants with ids up to `lastTenantId` (uuid order is the order of their lower-case text). */
  async take(lastTenantId: string): Promise<Map<string, TenantSums>> {
    const sums = new Map<string, TenantSums>();
    const of = (tenantId: string): TenantSums => {
      let found = sums.get(tenantId);
      if (!found) {
        found = { usage: [], boxTime: { seconds: 0n, amountMicros: 0n }, credits: [] };
        sums.set(tenantId, found);
      }
      return found;
    };
    for (const source of ['usage', 'cost'] as const) {
      for (;;) {
        const buffer = this.buffers[source];
        if (buffer.rows.length === 0 && !buffer.done) await this.fetch(source);
        const row = buffer.rows[0];
        if (!row || row.tenant_id > lastTenantId) break;
        buffer.rows.shift();
        const target = of(row.tenant_id);
        if (row.usage) target.usage.push(row.usage);
        if (row.boxTime) target.boxTime = row.boxTime;
        if (row.credit) target.credits.push(row.credit);
      }
    }
    return sums;
  }

  private async fetch(source: 'usage' | 'cost'): Promise<void> {
    const buffer = this.buffers[source];
    if (source === 'usage') {
      const { rows } = await this.client.query<{
        tenant_id: string;
        model: string;
        tokens_in: string;
        tokens_out: string;
        events: string;
        picos: string;
      }>(`FETCH ${this.fetchSize} FROM close_usage`);
      buffer.rows = rows.map((r) => ({
        tenant_id: r.tenant_id,
        usage: {
          model: r.model,
          tokensIn: BigInt(r.tokens_in),
          tokensOut: BigInt(r.tokens_out),
          events: BigInt(r.events),
          chargedPicos: BigInt(r.picos),
        },
      }));
      buffer.done = rows.length < this.fetchSize;
      return;
    }
    const { rows } = await this.client.query<{
      tenant_id: string;
      kind: string;
      description: string;
      seconds: string;
      micros: string;
    }>(`FETCH ${this.fetchSize} FROM close_costs`);
    buffer.rows = rows.map((r) =>
      r.kind === 'box_time'
        ? { tenant_id: r.tenant_id, boxTime: { seconds: BigInt(r.seconds), amountMicros: BigInt(r.micros) } }
        : { tenant_id: r.tenant_id, credit: { description: r.description, amountMicros: BigInt(r.micros) } },
    );
    buffer.done = rows.length < this.fetchSize;
  }
}
