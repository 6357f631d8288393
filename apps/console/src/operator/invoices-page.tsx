import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, query } from '../api/http';
import type { InvoiceList } from '../api/operator-ops-types';
import { Link, navigate, useSearch } from '../router';
import { ErrorNote } from '../ui/layout';
import { InvoicePanel } from './invoice-panel';
import { CursorPager } from '../ui/cursor-pager';
import { AnySelect } from '../ui/any-select';

const STATUSES = ['draft', 'issued', 'paid', 'void'];
const PAGE = 50;

/** Invoices and credit notes of every tenant, filtered and paged by the server; one opens with its lines and actions. */
export default function InvoicesPage() {
  const search = useSearch();
  const filters = {
    tenantId: search.get('tenantId') ?? '',
    status: search.get('status') ?? '',
    period: search.get('period') ?? '',
  };
  const selected = search.get('id');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const invoices = useQuery({
    queryKey: ['invoices', filters, cursor],
    queryFn: () => api<InvoiceList>(`/v1/operator/invoices${query({ ...filters, cursor, limit: PAGE })}`),
    placeholderData: keepPreviousData,
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setCursors([]);
    navigate(
      `/billing/invoices${query({
        tenantId: String(form.get('tenantId') ?? '').trim(),
        status: String(form.get('status') ?? ''),
        period: String(form.get('period') ?? ''),
      })}`,
    );
  };
  const link = (id: string) => `/billing/invoices${query({ ...filters, id })}`;
  return (
    <section aria-labelledby="invoices-title">
      <h1 id="invoices-title">Invoices</h1>
      <form
        className="filters"
        aria-label="Filter invoices"
        onSubmit={submit}
        key={`${filters.tenantId}|${filters.status}|${filters.period}`}
      >
        <label htmlFor="invoice-tenant">Tenant id</label>
        <input id="invoice-tenant" name="tenantId" size={38} defaultValue={filters.tenantId} />
        <AnySelect id="invoice-status" name="status" label="Status" choices={STATUSES} defaultValue={filters.status} />
        <label htmlFor="invoice-period">Month</label>
        <input id="invoice-period" name="period" type="month" defaultValue={filters.period} />
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={invoices.error} />
      {selected && <InvoicePanel id={selected} />}
      {invoices.data && (
        <>
          <table aria-busy={invoices.isFetching}>
            <caption className="visually-hidden">Invoices, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Tenant</th>
                <th scope="col">Month</th>
                <th scope="col">Status</th>
                <th scope="col">Total</th>
                <th scope="col">Issued</th>
              </tr>
            </thead>
            <tbody>
              {invoices.data.invoices.map((invoice) => (
                <tr key={invoice.id} aria-current={invoice.id === selected ? 'true' : undefined}>
                  <td>
                    <Link to={link(invoice.id)}>{invoice.number}</Link>
                    {invoice.kind === 'credit_note' && <div className="muted">credit note</div>}
                  </td>
                  <td>
                    <Link to={`/tenants/${invoice.tenantId}`}>{invoice.tenantId.slice(0, 8)}</Link>
                  </td>
                  <td>{invoice.period}</td>
                  <td>
                    <span className={`status status-${invoice.status}`}>{invoice.status}</span>
                  </td>
                  <td className="number">
                    {invoice.currency} {invoice.total}
                  </td>
                  <td>{invoice.issuedAt ? new Date(invoice.issuedAt).toLocaleDateString() : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {invoices.data.invoices.length === 0 && <p>No invoice matches.</p>}
          <CursorPager cursors={cursors} setCursors={setCursors} nextCursor={invoices.data.nextCursor} />
        </>
      )}
    </section>
  );
}
