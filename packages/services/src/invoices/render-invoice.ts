import type { InvoiceDetail } from '@paddock/contracts';

export type InvoiceFormat = 'json' | 'csv' | 'html';

export interface RenderedInvoice {
  contentType: string;
  filename: string;
  body: string;
}

/** An invoice as a file the tenant downloads: JSON (the API's shape), CSV (one row per line) or printable HTML. */
export function renderInvoice(invoice: InvoiceDetail, format: InvoiceFormat): RenderedInvoice {
  const base = invoice.number.replace(/[^A-Za-z0-9-]/g, '_');
  switch (format) {
    case 'json':
      return {
        contentType: 'application/json; charset=utf-8',
        filename: `${base}.json`,
        body: `${JSON.stringify(invoice, null, 2)}\n`,
      };
    case 'csv':
      return { contentType: 'text/csv; charset=utf-8', filename: `${base}.csv`, body: invoiceCsv(invoice) };
    case 'html':
      return { contentType: 'text/html; charset=utf-8', filename: `${base}.html`, body: invoiceHtml(invoice) };
  }
}

/** RFC 4180 field; a leading = + - @ is prefixed with ' so a spreadsheet never runs a description as a formula. */
function csvField(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function invoiceCsv(invoice: InvoiceDetail): string {
  const header = [
    'invoice',
    'period',
    'currency',
    'kind',
    'description',
    'quantity',
    'unit',
    'unit_price_micros',
    'amount',
  ];
  const rows = invoice.lines.map((line) => [
    invoice.number,
    invoice.period,
    invoice.currency,
    line.kind,
    line.description,
    line.quantity,
    line.unit,
    line.unitPriceMicros,
    line.amount,
  ]);
  rows.push([invoice.number, invoice.period, invoice.currency, 'total', 'Total', '', '', '', invoice.total]);
  return `${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function invoiceHtml(invoice: InvoiceDetail): string {
  const title = invoice.kind === 'credit_note' ? 'Credit note' : 'Invoice';
  const date = (iso: string | null) => (iso ? iso.slice(0, 10) : '');
  const rows = invoice.lines
    .map(
      (line) =>
        `<tr><td>${escapeHtml(line.description)}</td><td class="n">${escapeHtml(line.quantity)} ${escapeHtml(line.unit)}</td>` +
        `<td class="n">${escapeHtml(line.amount)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} ${escapeHtml(invoice.number)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;color:#111}
table{width:100%;border-collapse:collapse}td,th{padding:.35rem .5rem;border-bottom:1px solid #ddd;text-align:left}
.n{text-align:right;white-space:nowrap}tfoot td{font-weight:600;border-top:2px solid #111}
@media print{body{margin:0}}
</style></head>
<body>
<h1>${title} ${escapeHtml(invoice.number)}</h1>
<p>Period ${escapeHtml(invoice.period)} · Status ${escapeHtml(invoice.status)} · Issued ${escapeHtml(date(invoice.issuedAt))}${
    invoice.dueAt ? ` · Due ${escapeHtml(date(invoice.dueAt))}` : ''
  }</p>
<table><thead><tr><th>Description</th><th class="n">Quantity</th><th class="n">Amount (${escapeHtml(invoice.currency)})</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr><td colspan="2">Total</td><td class="n">${escapeHtml(invoice.total)}</td></tr></tfoot></table>
</body></html>
`;
}
