import type { PrismaClient } from '@paddock/db';

/** Prisma's interactive transaction client (what `$transaction(async (tx) => ...)` hands over). */
export type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

/**
 * Options of every billing transaction: Prisma's default 2 s wait for a connection is shorter than opening one
 * (SCRAM) takes on a loaded machine, and billing work may wait behind a close's page.
 */
export const BILLING_TX = { maxWait: 30_000, timeout: 60_000 } as const;

export type InvoiceSeries = 'invoice' | 'credit_note';

/** `PDK-2026` for invoices of 2026's periods, `PDK-CN-2026` for credit notes made in 2026. */
export function seriesName(kind: InvoiceSeries, year: number): string {
  return kind === 'invoice' ? `PDK-${year}` : `PDK-CN-${year}`;
}

export function formatInvoiceNumber(series: string, n: bigint): string {
  return `${series}-${n.toString().padStart(6, '0')}`;
}

/**
 * Locks the series' counter row for the rest of the transaction and returns the next free number. Everyone who
 * numbers invoices of a series takes this lock first, so while it is held nobody else inserts into the series: the
 * caller may look at what exists, insert, then `advanceCounter` by exactly what it inserted. A rollback undoes the
 * numbers with the rows, which is why this is a row and not a sequence (a sequence keeps what it handed out).
 */
export async function lockSeries({ prisma: tx }: { prisma: Tx }, series: string): Promise<bigint> {
  await tx.$executeRaw`INSERT INTO invoice_number_counters (series) VALUES (${series}) ON CONFLICT (series) DO NOTHING`;
  const rows = await tx.$queryRaw<Array<{ next_number: bigint }>>`
    SELECT next_number FROM invoice_number_counters WHERE series = ${series} FOR UPDATE`;
  const next = rows[0]?.next_number;
  if (next === undefined) throw new Error(`invoice number series ${series} has no counter row`);
  return BigInt(next);
}

export async function advanceCounter({ prisma: tx }: { prisma: Tx }, series: string, used: number): Promise<void> {
  if (used === 0) return;
  await tx.$executeRaw`
    UPDATE invoice_number_counters SET next_number = next_number + ${used}, updated_at = now() WHERE series = ${series}`;
}
