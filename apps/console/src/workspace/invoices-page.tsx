import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, query } from '../api/http';
import { ErrorNote } from '../ui/layout';
import type { InvoiceList } from './types';
import { CursorPager } from '../ui/cursor-pager';

const PAGE = 20;

/** The workspace's invoices and credit notes, newest first, each downloadable as printable HTML, CSV or JSON. */
export default function InvoicesPage() {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const invoices = useQuery({
    queryKey: ['invoices', cursor],
    queryFn: () => api<InvoiceList>(`/v1/invoices${query({ cursor, limit: PAGE })}`),
    placeholderData: keepPreviousData,
  });
  return (
    <section aria-labelledby="invoices-title">
      <h1 id="invoices-title">Invoices</h1>
      <ErrorNote error={invoices.error} />
      {invoices.data &&
        (invoices.data.invoices.length === 0 ? (
          <p>No invoices yet: the first is issued when the month closes.</p>
        ) : (
          <table>
            <caption className="visually-hidden">Invoices, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Period</th>
                <th scope="col">Status</th>
                <th scope="col">Total</th>
                <th scope="col">Issued</th>
                <th scope="col">Download</th>
              </tr>
            </thead>
            <tbody>
              {invoices.data.invoices.map((invoice) => (
                <tr key={invoice.id}>
                  <td>
                    {invoice.number}
                    {invoice.kind === 'credit_note' && <div className="muted">credit note</div>}
                  </td>
                  <td>{invoice.period}</td>
                  <td>{invoice.status}</td>
                  <td>
                    {invoice.total} {invoice.currency}
                  </td>
                  <td>{invoice.issuedAt ? new Date(invoice.issuedAt).toLocaleDateString() : '—'}</td>
                  <td className="downloads">
                    {(['html', 'csv', 'json'] as const).map((format) => (
                      <a
                        key={format}
                        href={`/v1/invoices/${encodeURIComponent(invoice.id)}/download?format=${format}`}
                        download
                      >
                        {format.toUpperCase()} <span className="visually-hidden">of {invoice.number}</span>
                      </a>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      <CursorPager cursors={cursors} setCursors={setCursors} nextCursor={invoices.data?.nextCursor} />
    </section>
  );
}
