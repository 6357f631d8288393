import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/http';
import type { InvoiceDetail } from '../api/operator-ops-types';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorNote } from '../ui/layout';
import { useCanChange } from './use-can-change';

type Action = 'issue' | 'mark-paid' | 'void';

const TEXT: Record<Action, { label: string; explain: string }> = {
  issue: { label: 'Issue', explain: 'It gets its due date and is never edited again.' },
  'mark-paid': { label: 'Mark paid', explain: 'The invoice is recorded as paid today.' },
  void: { label: 'Void', explain: 'An issued invoice is cancelled by a credit note; a draft is simply voided.' },
};

/** One invoice: its lines, downloads (JSON, CSV, HTML) and, for operators, issue / mark paid / void (confirmed). */
export function InvoicePanel({ id }: { id: string }) {
  const client = useQueryClient();
  const canChange = useCanChange();
  const [confirming, setConfirming] = useState<Action | null>(null);
  const [reason, setReason] = useState('');
  const invoice = useQuery({
    queryKey: ['invoice', id],
    queryFn: () => api<InvoiceDetail>(`/v1/operator/invoices/${encodeURIComponent(id)}`),
  });
  const act = useMutation({
    mutationFn: (action: Action) =>
      api(`/v1/operator/invoices/${encodeURIComponent(id)}/${action}`, {
        method: 'POST',
        ...(action === 'void' ? { body: { reason: reason.trim() } } : {}),
      }),
    onSuccess: () => setReason(''),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: ['invoice', id] });
      void client.invalidateQueries({ queryKey: ['invoices'] });
    },
  });
  const data = invoice.data;
  const actions: Action[] = !data
    ? []
    : data.status === 'draft'
      ? ['issue', 'void']
      : data.status === 'issued'
        ? ['mark-paid', 'void']
        : [];
  const download = (format: string) => `/v1/operator/invoices/${encodeURIComponent(id)}/download?format=${format}`;
  return (
    <article className="card" aria-labelledby="invoice-title">
      <ErrorNote error={invoice.error} />
      {data && (
        <>
          <h2 id="invoice-title">
            {data.kind === 'credit_note' ? 'Credit note' : 'Invoice'} {data.number}
          </h2>
          <p>
            <span className={`status status-${data.status}`} data-testid="invoice-status">
              {data.status}
            </span>{' '}
            {data.period} · {data.currency} {data.total}
            {data.voidReason && <span className="muted"> · voided: {data.voidReason}</span>}
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Quantity</th>
                <th scope="col">Amount</th>
              </tr>
            </thead>
            <tbody>
              {data.lines.map((line, index) => (
                // Lines have no id; their order is the invoice's own.
                // biome-ignore lint/suspicious/noArrayIndexKey: the lines of an invoice never reorder
                <tr key={index}>
                  <td>{line.description}</td>
                  <td className="number">
                    {line.quantity} {line.unit}
                  </td>
                  <td className="number">{line.amount}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="actions">
            Download:
            <a href={download('json')} download>
              JSON
            </a>
            <a href={download('csv')} download>
              CSV
            </a>
            <a href={download('html')} download>
              HTML
            </a>
          </p>
          {canChange && actions.length > 0 && (
            <div className="actions">
              {actions.includes('void') && (
                <>
                  <label htmlFor="void-reason">Reason to void</label>
                  <input id="void-reason" value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} />
                </>
              )}
              {actions.map((action) => (
                <button
                  key={action}
                  type="button"
                  className={action === 'void' ? 'danger' : undefined}
                  disabled={act.isPending || (action === 'void' && reason.trim() === '')}
                  onClick={() => setConfirming(action)}
                >
                  {TEXT[action].label}…
                </button>
              ))}
            </div>
          )}
          <ErrorNote error={act.error} />
          <ConfirmDialog
            open={confirming !== null}
            title={confirming ? `${TEXT[confirming].label} ${data.number}?` : ''}
            confirmLabel={confirming ? TEXT[confirming].label : ''}
            onCancel={() => setConfirming(null)}
            onConfirm={() => {
              if (confirming) act.mutate(confirming);
              setConfirming(null);
            }}
          >
            <p>{confirming ? TEXT[confirming].explain : ''}</p>
          </ConfirmDialog>
        </>
      )}
    </article>
  );
}
