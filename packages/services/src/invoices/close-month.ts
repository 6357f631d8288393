import { prepareBillingPeriod } from '../billing/prepare-billing-period';
import { buildInvoice, monthPeriod, type Period, previousMonth } from '@paddock/billing';
import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import type { Pool } from 'pg';
import { seriesName } from './invoice-numbers';
import { loadSpans } from './load-invoice-inputs';
import { type SettleOptions, settledCutoff } from './settle-cutoff';
import { type TenantSums, UsageSumStream } from './stream-usage-sums';
import { writeInvoicePage } from './write-invoice-page';

export interface CloseMonthInput {
  /** `YYYY-MM`, a month that is over (default: the month before now). */
  period?: string | undefined;
  /** Tenants per page: one set of aggregate queries and one numbering transaction each. */
  pageSize?: number;
  settle?: SettleOptions;
  signal?: AbortSignal;
}

/** Prisma for the reads; a pg pool for each page's numbered writes (COPY: `write-invoice-page.ts` says why). */
export interface CloseMonthDeps {
  prisma: PrismaClient;
  pool: Pool;
}

export interface CloseMonthResult {
  period: string;
  cutoff: string;
  pages: number;
  created: number;
}

/**
 * The monthly close: a draft invoice for every tenant that existed in the month and has none for it yet.
 *
 * Safe to run any number of times, by any number of workers at once: tenants are walked in pages of ids, a page's
 * usage is summed in SQL (GROUP BY tenant and model: memory holds aggregates, never events), and its invoices are
 * numbered and inserted (COPY) in one transaction that holds the number series' counter row. Under that lock the page's
 * tenants that got an invoice meanwhile (another run) are skipped, and the unique index on (tenant, month) refuses
 * a second original anyway; numbers are consecutive because nobody else inserts into the series while it is held.
 *
 * A tenant whose later month is already invoiced is skipped (that invoice's window already took this month's usage).
 */
export async function closeMonth(deps: CloseMonthDeps, input: CloseMonthInput): Promise<CloseMonthResult> {
  const { prisma, pool } = deps;
  const name = input.period ?? previousMonth(Date.now());
  const period = monthPeriod(name);
  const pageSize = input.pageSize ?? 500;
  const cutoff = await settledCutoff({ prisma }, input.settle);
  if (cutoff.getTime() < period.endMs) {
    throw new AppError('conflict', `The month ${name} is not over yet: it can be closed from its last instant on.`);
  }
  // Usage a price now covers is priced, and the month's box time metered into cost entries, before anything is summed.
  await prepareBillingPeriod({ prisma }, { from: new Date(period.startMs), to: new Date(period.endMs) });
  const series = seriesName('invoice', new Date(period.startMs).getUTCFullYear());
  let pages = 0;
  let created = 0;
  // The reader's transaction holds the month's sums (two cursors); pages are written in transactions of their own.
  const reader = await pool.connect();
  // A connection that dies mid-close must not end the process through an unheard 'error' event: the next query fails.
  const onError = () => {};
  reader.on('error', onError);
  try {
    await reader.query('BEGIN');
    const sums = await UsageSumStream.open(reader, period, cutoff);
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      input.signal?.throwIfAborted();
      const tenants = await pendingTenants(prisma, period, after, pageSize);
      const last = tenants.at(-1);
      if (!last) break;
      after = last;
      pages++;
      created += await closePage(deps, period, series, cutoff, tenants, await sums.take(last));
    }
    await reader.query('COMMIT');
  } catch (error) {
    await reader.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    reader.off('error', onError);
    reader.release();
  }
  return { period: name, cutoff: cutoff.toISOString(), pages, created };
}

/** The next page of tenants (by id) that existed in the month and have no invoice for it or a later month. */
async function pendingTenants(prisma: PrismaClient, period: Period, after: string, limit: number): Promise<string[]> {
  const start = new Date(period.startMs);
  const rows = await prisma.$queryRaw<Array<{ id: string }>>`
    SELECT t.id::text AS id FROM tenants t
     WHERE t.id > ${after}::uuid AND t.created_at < ${new Date(period.endMs)}
       AND (t.deleted_at IS NULL OR t.deleted_at >= ${start})
       AND NOT EXISTS (SELECT 1 FROM invoices i
                        WHERE i.tenant_id = t.id AND i.kind = 'invoice' AND i.period_start >= ${start})
     ORDER BY t.id LIMIT ${limit}`;
  return rows.map((r) => r.id);
}

async function closePage(
  { prisma, pool }: CloseMonthDeps,
  period: Period,
  series: string,
  cutoff: Date,
  tenantIds: string[],
  sums: Map<string, TenantSums>,
): Promise<number> {
  const start = new Date(period.startMs);
  // Each tenant's receipt window starts where its previous invoice's ended (the sums were read over the same).
  const previous = await prisma.$queryRaw<Array<{ tenant_id: string; through: Date | null }>>`
    SELECT tenant_id::text AS tenant_id, max(usage_through) AS through FROM invoices
     WHERE tenant_id = ANY(${tenantIds}::uuid[]) AND kind = 'invoice' AND period_start < ${start}
     GROUP BY tenant_id`;
  const from = new Map(previous.map((r) => [r.tenant_id, r.through]));
  const spans = await loadSpans({ prisma }, period, tenantIds);
  const drafts = tenantIds.map((tenantId) => {
    const plan = spans.get(tenantId) ?? { currency: 'USD', spans: [] };
    const usage = sums.get(tenantId) ?? { usage: [], boxTime: { seconds: 0n, amountMicros: 0n }, credits: [] };
    return {
      tenantId,
      currency: plan.currency,
      from: from.get(tenantId)?.toISOString() ?? '-infinity',
      draft: buildInvoice({ period, ...plan, ...usage }),
    };
  });
  return writeInvoicePage({ pg: pool }, { series, period: { start, end: new Date(period.endMs) }, cutoff, drafts });
}
