import { randomUUID } from 'node:crypto';
import type { InvoiceDraft } from '@paddock/billing';
import type { PoolClient } from 'pg';
import { copyField, copyRows } from '../ingest/copy-rows';
import { formatInvoiceNumber } from './invoice-numbers';
import { toInt4 } from './write-invoice-lines';
import type { ServiceClients } from '../clients';

export interface PageDraft {
  tenantId: string;
  currency: string;
  /** Receipt window: ISO instant or `-infinity` (the tenant's first invoice), to the close's cutoff. */
  from: string;
  draft: InvoiceDraft;
}

export interface InvoicePage {
  series: string;
  period: { start: Date; end: Date };
  cutoff: Date;
  drafts: PageDraft[];
}

/**
 * Numbers and writes one page of the monthly close in one transaction on a pg connection: the series' counter row
 * is locked first (`invoice-numbers.ts` explains why a row, not a sequence), tenants invoiced meanwhile (another
 * close) are dropped under that lock, the rest go in with COPY (invoices, then their lines) and the counter moves
 * by exactly what was written. Answers how many invoices were written.
 *
 * Plain pg and COPY, not Prisma: a page is thousands of lines, and a Prisma raw query carries its parameters through
 * several serialised copies (the request, the query compiler's plan): measured at the issue's scale (10,000
 * tenants), that garbage grew the worker's heap by ~170 MB during the close; COPY sends each line once.
 * A conflict with the one-original-invoice-per-tenant-and-month index (a writer that skipped the lock) fails the
 * COPY and rolls the page back, so numbers never have a gap.
 */
export async function writeInvoicePage({ pg: pool }: Pick<ServiceClients, 'pg'>, page: InvoicePage): Promise<number> {
  const client = await pool.connect();
  // A connection that dies mid-page must not end the process through an unheard 'error' event.
  const onError = () => {};
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const written = await writeInTransaction(client, page);
    await client.query('COMMIT');
    return written;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.off('error', onError);
    client.release();
  }
}

async function writeInTransaction(client: PoolClient, page: InvoicePage): Promise<number> {
  const { series, period, cutoff } = page;
  await client.query('INSERT INTO invoice_number_counters (series) VALUES ($1) ON CONFLICT (series) DO NOTHING', [
    series,
  ]);
  const locked = await client.query<{ next_number: string }>(
    'SELECT next_number::text AS next_number FROM invoice_number_counters WHERE series = $1 FOR UPDATE',
    [series],
  );
  const next = locked.rows[0]?.next_number;
  if (next === undefined) throw new Error(`invoice number series ${series} has no counter row`);
  const taken = await client.query<{ tenant_id: string }>(
    `SELECT tenant_id::text AS tenant_id FROM invoices
      WHERE tenant_id = ANY($1::uuid[]) AND kind = 'invoice' AND period_start >= $2`,
    [page.drafts.map((d) => d.tenantId), period.start],
  );
  const skip = new Set(taken.rows.map((r) => r.tenant_id));
  const fresh = page.drafts.filter((d) => !skip.has(d.tenantId));
  if (fresh.length === 0) return 0;

  const start = period.start.toISOString();
  const end = period.end.toISOString();
  const through = cutoff.toISOString();
  const ids = fresh.map(() => randomUUID());
  const invoiceLines = fresh.map((d, i) =>
    [
      ids[i] ?? '',
      d.tenantId,
      formatInvoiceNumber(series, BigInt(next) + BigInt(i)),
      copyField(d.currency),
      start,
      end,
      toInt4(d.draft.subtotalMinor, 'subtotal'),
      toInt4(d.draft.taxMinor, 'tax'),
      toInt4(d.draft.totalMinor, 'total'),
      d.from === '-infinity' ? '\\N' : d.from,
      through,
      'invoice',
      'draft',
    ].join('\t'),
  );
  await copyRows(
    client,
    `COPY invoices (id, tenant_id, number, currency, period_start, period_end, subtotal_minor, tax_minor, total_minor,
                    usage_from, usage_through, kind, status) FROM STDIN`,
    invoiceLines,
  );
  const lineRows: string[] = [];
  fresh.forEach((d, i) => {
    d.draft.lines.forEach((line, position) => {
      lineRows.push(
        [
          d.tenantId,
          ids[i] ?? '',
          line.kind,
          copyField(line.description),
          line.quantity.toString(),
          copyField(line.unit),
          line.unitPriceMicros.toString(),
          toInt4(line.amountMinor, 'line amount'),
          copyField(JSON.stringify(line.metadata)),
          position,
        ].join('\t'),
      );
    });
  });
  if (lineRows.length > 0) {
    await copyRows(
      client,
      `COPY invoice_lines (tenant_id, invoice_id, kind, description, quantity, unit, unit_price_micros, amount_minor,
                           metadata, position) FROM STDIN`,
      lineRows,
    );
  }
  await client.query(
    'UPDATE invoice_number_counters SET next_number = next_number + $2, updated_at = now() WHERE series = $1',
    [series, fresh.length],
  );
  return fresh.length;
}
