import { useQuery } from '@tanstack/react-query';
import { api, query } from '../../api/http';
import type { InvoiceList } from '../../api/operator-pages-types';
import { ErrorNote } from '../../ui/layout';
import { formatMinor } from '../../ui/money';

const SHOWN = 12;

/** The tenant's latest invoices and credit notes (GET /v1/operator/invoices?tenantId=), newest first. */
export function TenantInvoices({ tenantId }: { tenantId: string }) {
  const invoices = useQuery({
    queryKey: ['tenant-invoices', tenantId],
    queryFn: () => api<InvoiceList>(`/v1/operator/invoices${query({ tenantId, limit: SHOWN })}`),
  });
  return (
    <section aria-labelledby="tenant-invoices-title">
      <h2 id="tenant-invoices-title">Invoices</h2>
      <ErrorNote error={invoices.error} />
      {invoices.data &&
        (invoices.data.invoices.length === 0 ? (
          <p>No invoices yet.</p>
        ) : (
          <table>
            <caption className="visually-hidden">The tenant's latest {SHOWN} invoices, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Period</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Total</th>
                <th scope="col">Issued</th>
              </tr>
            </thead>
            <tbody>
              {invoices.data.invoices.map((invoice) => (
                <tr key={invoice.id}>
                  <td>{invoice.number}</td>
                  <td>{invoice.period}</td>
                  <td>{invoice.kind === 'credit_note' ? 'credit note' : 'invoice'}</td>
                  <td>
                    <span className={`status status-${invoice.status}`}>{invoice.status}</span>
                  </td>
                  <td className="number">{formatMinor(invoice.totalMinor, invoice.currency)}</td>
                  <td>{invoice.issuedAt ? new Date(invoice.issuedAt).toLocaleDateString() : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </section>
  );
}
