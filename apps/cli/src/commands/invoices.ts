import type { Command } from 'commander';
import type { InvoiceDetail, InvoiceList, InvoiceSummary, InvoiceVoided, MonthCloseQueued } from '../api-types';
import { type CommandContext, type CommandGroup, positiveInt, withJson } from '../command-context';
import { renderRecord, renderTable, when } from '../output';

const INVOICE_COLUMNS = [
  { header: 'NUMBER', value: (i: InvoiceSummary) => i.number },
  { header: 'KIND', value: (i: InvoiceSummary) => i.kind },
  { header: 'STATUS', value: (i: InvoiceSummary) => i.status },
  { header: 'PERIOD', value: (i: InvoiceSummary) => i.period },
  { header: 'TOTAL', value: (i: InvoiceSummary) => `${i.total} ${i.currency}` },
  { header: 'TENANT', value: (i: InvoiceSummary) => i.tenantId },
  { header: 'ISSUED', value: (i: InvoiceSummary) => when(i.issuedAt) },
  { header: 'ID', value: (i: InvoiceSummary) => i.id },
];

const line = (verb: string) => (i: InvoiceSummary) =>
  `Invoice ${i.number} ${verb}: ${i.status}, ${i.total} ${i.currency}.\n`;

/** `paddock invoices list|show|issue|paid|void|regenerate|close` over /v1/operator/invoices. */
export const invoiceCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const invoices = program.command('invoices').description('invoices: the monthly close, issue, paid, void');

    withJson(
      invoices
        .command('list')
        .description('invoices, newest first')
        .option('--tenant <id>')
        .option('--status <status>', 'draft, issued, paid, void')
        .option('--period <YYYY-MM>')
        .option('--limit <n>', 'at most this many (1-200)', positiveInt)
        .option('--cursor <cursor>', 'the next page (printed under a full page)'),
    ).action(
      async (options: {
        tenant?: string;
        status?: string;
        period?: string;
        limit?: number;
        cursor?: string;
        json?: boolean;
      }) => {
        const client = await context.client();
        const reply = await client.get<InvoiceList>('/v1/operator/invoices', {
          tenantId: options.tenant,
          status: options.status,
          period: options.period,
          limit: options.limit,
          cursor: options.cursor,
        });
        context.print(options, reply, (r) => {
          const more = r.nextCursor ? `More: paddock invoices list --cursor ${r.nextCursor}\n` : '';
          return `${renderTable(r.invoices, INVOICE_COLUMNS)}${more}`;
        });
      },
    );

    withJson(invoices.command('show').description('one invoice with its lines').argument('<id>')).action(
      async (id: string, options: { json?: boolean }) => {
        const client = await context.client();
        const invoice = await client.get<InvoiceDetail>(`/v1/operator/invoices/${encodeURIComponent(id)}`);
        context.print(options, invoice, renderInvoice);
      },
    );

    for (const [name, path, verb, description] of [
      ['issue', 'issue', 'issued', 'issue a draft (numbered, immutable from now on)'],
      ['paid', 'mark-paid', 'marked paid', 'record that an issued invoice was paid'],
      ['regenerate', 'regenerate', 'regenerated', 'rebuild a draft from current usage and prices'],
    ] as const) {
      withJson(invoices.command(name).description(description).argument('<id>')).action(
        async (id: string, options: { json?: boolean }) => {
          const client = await context.client();
          const invoice = await client.post<InvoiceSummary>(
            `/v1/operator/invoices/${encodeURIComponent(id)}/${path}`,
            {},
          );
          context.print(options, invoice, line(verb));
        },
      );
    }

    withJson(
      invoices
        .command('void')
        .description('void an invoice: an issued one gets a credit note')
        .argument('<id>')
        .requiredOption('--reason <text>', 'kept on the invoice and in the audit log')
        .option('--replace', 'also draft a corrected invoice for the same month'),
    ).action(async (id: string, options: { reason: string; replace?: boolean; json?: boolean }) => {
      const client = await context.client();
      const reply = await client.post<InvoiceVoided>(`/v1/operator/invoices/${encodeURIComponent(id)}/void`, {
        reason: options.reason,
        replace: options.replace === true,
      });
      context.print(options, reply, (r) =>
        [
          line('voided')(r.invoice),
          r.creditNote ? `Credit note ${r.creditNote.number}: ${r.creditNote.total} ${r.creditNote.currency}.\n` : '',
          r.replacement ? `Replacement draft ${r.replacement.id}.\n` : '',
        ].join(''),
      );
    });

    withJson(
      invoices
        .command('close')
        .description('run the monthly close now (default: last month); one invoice per tenant and month')
        .option('--period <YYYY-MM>'),
    ).action(async (options: { period?: string; json?: boolean }) => {
      const client = await context.client();
      const reply = await client.post<MonthCloseQueued>('/v1/operator/invoices/close', {
        ...(options.period ? { period: options.period } : {}),
      });
      context.print(options, reply, (r) => `Close of ${r.period} queued (job record ${r.recordId}).\n`);
    });
  },
};

function renderInvoice(i: InvoiceDetail): string {
  return [
    renderRecord([
      ['id', i.id],
      ['number', i.number],
      ['kind', i.kind],
      ['status', i.status],
      ['tenant', i.tenantId],
      ['period', i.period],
      ['subtotal', i.subtotalMinor],
      ['tax', i.taxMinor],
      ['total', `${i.total} ${i.currency}`],
      ['issued', when(i.issuedAt)],
      ['due', when(i.dueAt)],
      ['paid', when(i.paidAt)],
      ['voided', when(i.voidedAt)],
      ['void reason', i.voidReason],
    ]),
    'Lines\n',
    renderTable(i.lines, [
      { header: 'KIND', value: (l) => l.kind },
      { header: 'DESCRIPTION', value: (l) => l.description },
      { header: 'QUANTITY', value: (l) => `${l.quantity} ${l.unit}` },
      { header: 'AMOUNT', value: (l) => l.amount },
    ]),
  ].join('');
}
