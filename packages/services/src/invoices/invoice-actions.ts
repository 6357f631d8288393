import { randomUUID } from 'node:crypto';
import { buildInvoice, creditNoteLines, type InvoiceLineKind, monthPeriod, monthOf } from '@paddock/billing';
import { AppError } from '@paddock/contracts';
import type { Invoice, Prisma } from '@paddock/db';
import { operatorActor, type RequestFacts, writeAudit } from '../audit/audit-entry';
import { advanceCounter, BILLING_TX, formatInvoiceNumber, lockSeries, seriesName, type Tx } from './invoice-numbers';
import { loadInvoiceInputs } from './load-invoice-inputs';
import { insertInvoiceLines } from './write-invoice-lines';
import type { ServiceClients } from '../clients';

export interface OperatorActor {
  userId: string;
  email: string;
}

/** Days between issue and due date. */
export const INVOICE_DUE_DAYS = 14;

type Action = 'issue' | 'mark_paid' | 'void' | 'regenerate';

async function audit(
  tx: Tx,
  actor: OperatorActor,
  invoice: Pick<Invoice, 'id' | 'tenantId' | 'number'>,
  action: Action,
  details: Prisma.InputJsonObject,
  request: RequestFacts,
): Promise<void> {
  await writeAudit(
    { prisma: tx },
    {
      actor: operatorActor(actor),
      action: `invoice.${action}`,
      tenantId: invoice.tenantId,
      target: { type: 'invoice', id: invoice.id },
      details: { number: invoice.number, ...details },
      request,
    },
  );
}

/** The invoice, locked for the rest of the transaction (actions on one invoice happen one after another). */
async function lockInvoice(tx: Tx, id: string): Promise<Invoice> {
  const rows = await tx.$queryRaw<
    Array<{ id: string }>
  >`SELECT id::text AS id FROM invoices WHERE id = ${id}::uuid FOR UPDATE`;
  if (rows.length === 0) throw new AppError('not_found', `There is no invoice ${id}.`);
  return tx.invoice.findUniqueOrThrow({ where: { id } });
}

function refuse(invoice: Invoice, action: string): never {
  throw new AppError('conflict', `Invoice ${invoice.number} is ${invoice.status}: it cannot be ${action}.`);
}

/** draft -> issued: from now on the invoice is never edited (corrections are credit notes). */
export async function issueInvoice(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: OperatorActor,
  id: string,
  request: RequestFacts = {},
): Promise<Invoice> {
  return prisma.$transaction(async (tx) => {
    const invoice = await lockInvoice(tx, id);
    if (invoice.status !== 'draft') refuse(invoice, 'issued');
    const now = new Date();
    const issued = await tx.invoice.update({
      where: { id },
      data: { status: 'issued', issuedAt: now, dueAt: new Date(now.getTime() + INVOICE_DUE_DAYS * 86_400_000) },
    });
    await audit(tx, actor, invoice, 'issue', { totalMinor: invoice.totalMinor }, request);
    return issued;
  }, BILLING_TX);
}

/** issued -> paid. */
export async function markInvoicePaid(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: OperatorActor,
  id: string,
  request: RequestFacts = {},
): Promise<Invoice> {
  return prisma.$transaction(async (tx) => {
    const invoice = await lockInvoice(tx, id);
    if (invoice.status !== 'issued' || invoice.kind !== 'invoice') refuse(invoice, 'marked paid');
    const paid = await tx.invoice.update({ where: { id }, data: { status: 'paid', paidAt: new Date() } });
    await audit(tx, actor, invoice, 'mark_paid', {}, request);
    return paid;
  }, BILLING_TX);
}

export interface VoidOutcome {
  invoice: Invoice;
  creditNote: Invoice | null;
  replacement: Invoice | null;
}

/**
 * Voids an invoice. A draft was never sent: it is only marked void (it keeps its number, so numbers stay gap-free).
 * An issued or paid invoice is left as it was issued and cancelled by a credit note (its lines negated, issued at
 * once, numbered in the credit-note series). With `replace`, a new draft for the same tenant, month and usage
 * window is made at today's prices and plan (the corrected invoice), to be issued like any draft.
 */
export async function voidInvoice(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: OperatorActor,
  input: { id: string; reason: string; replace: boolean },
  request: RequestFacts = {},
): Promise<VoidOutcome> {
  return prisma.$transaction(async (tx) => {
    const invoice = await lockInvoice(tx, input.id);
    if (invoice.status === 'void' || invoice.kind !== 'invoice') refuse(invoice, 'voided');
    const now = new Date();
    const voided = await tx.invoice.update({
      where: { id: invoice.id },
      data: { status: 'void', voidedAt: now, voidReason: input.reason },
    });
    const creditNote = invoice.status === 'draft' ? null : await issueCreditNote(tx, invoice, now);
    const replacement = input.replace ? await draftReplacement(tx, invoice) : null;
    await audit(
      tx,
      actor,
      invoice,
      'void',
      {
        reason: input.reason,
        fromStatus: invoice.status,
        creditNoteId: creditNote?.id ?? null,
        creditNoteNumber: creditNote?.number ?? null,
        replacementId: replacement?.id ?? null,
      },
      request,
    );
    return { invoice: voided, creditNote, replacement };
  }, BILLING_TX);
}

async function issueCreditNote(tx: Tx, invoice: Invoice, now: Date): Promise<Invoice> {
  const lines = await tx.invoiceLine.findMany({ where: { invoiceId: invoice.id }, orderBy: { position: 'asc' } });
  const negated = creditNoteLines(
    lines.map((l) => ({
      kind: l.kind as InvoiceLineKind,
      description: l.description,
      quantity: l.quantity,
      unit: l.unit,
      unitPriceMicros: l.unitPriceMicros,
      amountMinor: BigInt(l.amountMinor),
      metadata: l.metadata as Record<string, string | number | boolean>,
    })),
  );
  const series = seriesName('credit_note', now.getUTCFullYear());
  const next = await lockSeries({ prisma: tx }, series);
  const note = await tx.invoice.create({
    data: {
      id: randomUUID(),
      tenantId: invoice.tenantId,
      number: formatInvoiceNumber(series, next),
      kind: 'credit_note',
      correctsInvoiceId: invoice.id,
      status: 'issued',
      currency: invoice.currency,
      periodStart: invoice.periodStart,
      periodEnd: invoice.periodEnd,
      subtotalMinor: -invoice.subtotalMinor,
      taxMinor: -invoice.taxMinor,
      totalMinor: -invoice.totalMinor,
      usageFrom: invoice.usageFrom,
      usageThrough: invoice.usageThrough,
      issuedAt: now,
    },
  });
  await insertInvoiceLines({ prisma: tx }, [{ tenantId: invoice.tenantId, invoiceId: note.id, lines: negated }]);
  await advanceCounter({ prisma: tx }, series, 1);
  return note;
}

/** Lines and totals of `invoice`'s tenant, month and usage window, as they are computed now. */
async function recompute(tx: Tx, invoice: Invoice) {
  const period = monthPeriod(monthOf(invoice.periodStart.getTime()));
  if (!invoice.usageThrough) throw new Error(`invoice ${invoice.id} has no usage window`);
  const window = {
    tenantId: invoice.tenantId,
    from: invoice.usageFrom?.toISOString() ?? '-infinity',
    through: invoice.usageThrough,
  };
  const inputs = (await loadInvoiceInputs({ prisma: tx }, period, [window])).get(invoice.tenantId);
  if (!inputs) throw new Error(`no invoice inputs for tenant ${invoice.tenantId}`);
  return { currency: inputs.currency, draft: buildInvoice({ period, ...inputs }) };
}

async function draftReplacement(tx: Tx, voided: Invoice): Promise<Invoice> {
  const { currency, draft } = await recompute(tx, voided);
  const series = seriesName('invoice', voided.periodStart.getUTCFullYear());
  const next = await lockSeries({ prisma: tx }, series);
  const replacement = await tx.invoice.create({
    data: {
      id: randomUUID(),
      tenantId: voided.tenantId,
      number: formatInvoiceNumber(series, next),
      kind: 'invoice',
      replacesInvoiceId: voided.id,
      status: 'draft',
      currency,
      periodStart: voided.periodStart,
      periodEnd: voided.periodEnd,
      subtotalMinor: Number(draft.subtotalMinor),
      taxMinor: Number(draft.taxMinor),
      totalMinor: Number(draft.totalMinor),
      usageFrom: voided.usageFrom,
      usageThrough: voided.usageThrough,
    },
  });
  await insertInvoiceLines({ prisma: tx }, [
    { tenantId: voided.tenantId, invoiceId: replacement.id, lines: draft.lines },
  ]);
  await advanceCounter({ prisma: tx }, series, 1);
  return replacement;
}

/**
 * Recomputes a draft's lines and totals (after a price or plan fix) over the same usage window: the invoice keeps
 * its number and window, so nothing moves between periods. Only a draft can change.
 */
export async function regenerateDraft(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: OperatorActor,
  id: string,
  request: RequestFacts = {},
): Promise<Invoice> {
  return prisma.$transaction(async (tx) => {
    const invoice = await lockInvoice(tx, id);
    if (invoice.status !== 'draft' || invoice.kind !== 'invoice') refuse(invoice, 'regenerated');
    const { currency, draft } = await recompute(tx, invoice);
    await tx.invoiceLine.deleteMany({ where: { invoiceId: id } });
    await insertInvoiceLines({ prisma: tx }, [{ tenantId: invoice.tenantId, invoiceId: id, lines: draft.lines }]);
    const updated = await tx.invoice.update({
      where: { id },
      data: {
        currency,
        subtotalMinor: Number(draft.subtotalMinor),
        taxMinor: Number(draft.taxMinor),
        totalMinor: Number(draft.totalMinor),
        generatedAt: new Date(),
      },
    });
    await audit(
      tx,
      actor,
      invoice,
      'regenerate',
      { fromTotalMinor: invoice.totalMinor, toTotalMinor: updated.totalMinor },
      request,
    );
    return updated;
  }, BILLING_TX);
}
