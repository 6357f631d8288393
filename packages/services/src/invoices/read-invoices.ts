import { formatMinor, monthOf } from '@paddock/billing';
import { AppError, type InvoiceDetail, type InvoiceSummary } from '@paddock/contracts';
import type { Invoice, InvoiceLine, InvoiceStatus, Prisma } from '@paddock/db';
import { decodeCreatedAtCursor, encodeCreatedAtCursor } from '../pagination/created-at-cursor';
import type { ServiceClients } from '../clients';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function invoiceSummary(invoice: Invoice): InvoiceSummary {
  return {
    id: invoice.id,
    tenantId: invoice.tenantId,
    number: invoice.number,
    kind: invoice.kind,
    status: invoice.status,
    currency: invoice.currency,
    period: monthOf(invoice.periodStart.getTime()),
    periodStart: invoice.periodStart.toISOString(),
    periodEnd: invoice.periodEnd.toISOString(),
    subtotalMinor: invoice.subtotalMinor,
    taxMinor: invoice.taxMinor,
    totalMinor: invoice.totalMinor,
    total: formatMinor(BigInt(invoice.totalMinor), invoice.currency),
    issuedAt: iso(invoice.issuedAt),
    dueAt: iso(invoice.dueAt),
    paidAt: iso(invoice.paidAt),
    voidedAt: iso(invoice.voidedAt),
    correctsInvoiceId: invoice.correctsInvoiceId,
    replacesInvoiceId: invoice.replacesInvoiceId,
    createdAt: invoice.createdAt.toISOString(),
  };
}

export function invoiceDetail(invoice: Invoice & { lines: InvoiceLine[] }): InvoiceDetail {
  return {
    ...invoiceSummary(invoice),
    usageFrom: iso(invoice.usageFrom),
    usageThrough: iso(invoice.usageThrough),
    voidReason: invoice.voidReason,
    lines: invoice.lines.map((line) => ({
      kind: line.kind,
      description: line.description,
      quantity: line.quantity.toString(),
      unit: line.unit,
      unitPriceMicros: line.unitPriceMicros.toString(),
      amountMinor: line.amountMinor,
      amount: formatMinor(BigInt(line.amountMinor), invoice.currency),
    })),
  };
}

/** What a tenant sees: documents that were issued (drafts are the operators' work in progress). */
const TENANT_VISIBLE = { issuedAt: { not: null } } satisfies Prisma.InvoiceWhereInput;

export interface ListInvoicesInput {
  /** Set for a tenant's own list (only issued documents); operators may filter by it. */
  tenantId?: string | undefined;
  tenantView: boolean;
  status?: InvoiceStatus | undefined;
  period?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Newest first, keyset-paged on (created_at, id). */
export async function listInvoices(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  input: ListInvoicesInput,
): Promise<{ invoices: InvoiceSummary[]; nextCursor: string | null }> {
  const after = input.cursor ? decodeCreatedAtCursor(input.cursor) : null;
  const periodStart = input.period ? new Date(`${input.period}-01T00:00:00.000Z`) : undefined;
  const where: Prisma.InvoiceWhereInput = {
    ...(input.tenantId ? { tenantId: input.tenantId } : {}),
    ...(input.tenantView ? TENANT_VISIBLE : {}),
    ...(input.status ? { status: input.status } : {}),
    ...(periodStart ? { periodStart } : {}),
    ...(after
      ? {
          OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }],
        }
      : {}),
  };
  const rows = await prisma.invoice.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: input.limit + 1,
  });
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    invoices: page.map(invoiceSummary),
    nextCursor: rows.length > input.limit && last ? encodeCreatedAtCursor(last.createdAt, last.id) : null,
  };
}

/** One invoice with its lines; a tenant's lookup of another tenant's invoice (or of a draft) is a 404. */
export async function getInvoice(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  input: { id: string; tenantId?: string | undefined; tenantView: boolean },
): Promise<InvoiceDetail> {
  const invoice = await prisma.invoice.findFirst({
    where: {
      id: input.id,
      ...(input.tenantId ? { tenantId: input.tenantId } : {}),
      ...(input.tenantView ? TENANT_VISIBLE : {}),
    },
    include: { lines: { orderBy: { position: 'asc' } } },
  });
  if (!invoice) throw new AppError('not_found', `There is no invoice ${input.id}.`);
  return invoiceDetail(invoice);
}
