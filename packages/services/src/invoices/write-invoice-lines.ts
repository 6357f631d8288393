import type { InvoiceLineDraft } from '@paddock/billing';
import type { Tx } from './invoice-numbers';

export interface LinesOf {
  tenantId: string;
  invoiceId: string;
  lines: InvoiceLineDraft[];
}

/** Every line of many invoices in one INSERT (a page of the monthly close writes thousands). */
export async function insertInvoiceLines({ prisma: tx }: { prisma: Tx }, invoices: LinesOf[]): Promise<void> {
  const rows = invoices.flatMap((invoice) =>
    invoice.lines.map((line, position) => ({
      tenant_id: invoice.tenantId,
      invoice_id: invoice.invoiceId,
      kind: line.kind,
      description: line.description,
      quantity: line.quantity.toString(),
      unit: line.unit,
      unit_price_micros: line.unitPriceMicros.toString(),
      amount_minor: toInt4(line.amountMinor, 'line amount'),
      metadata: line.metadata,
      position,
    })),
  );
  if (rows.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO invoice_lines (tenant_id, invoice_id, kind, description, quantity, unit, unit_price_micros,
                               amount_minor, metadata, position)
    SELECT tenant_id, invoice_id, kind, description, quantity, unit, unit_price_micros, amount_minor, metadata, position
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(
        tenant_id uuid, invoice_id uuid, kind invoice_line_kind, description text, quantity bigint, unit varchar,
        unit_price_micros bigint, amount_minor int, metadata jsonb, position int)`;
}

/** Invoice amounts are `integer` columns (cents up to $21M): a figure past that is an error, never a wrap. */
export function toInt4(value: bigint, what: string): number {
  if (value > 2_147_483_647n || value < -2_147_483_648n) {
    throw new RangeError(`${what} ${value} does not fit an invoice amount`);
  }
  return Number(value);
}
