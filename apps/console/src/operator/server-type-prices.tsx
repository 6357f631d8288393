import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { api } from '../api/http';
import type { ServerTypePriceList } from '../api/operator-ops-types';
import { ErrorNote } from '../ui/layout';
import { localInputToIso, microsText, nowForInput } from './money';

/** What an hour of each provider's server type costs a tenant: versions, and adding one. */
export function ServerTypePrices({ prices, canChange }: { prices: ServerTypePriceList['prices']; canChange: boolean }) {
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      api('/v1/operator/billing/server-type-prices', { method: 'POST', body }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['server-type-prices'] }),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const note = String(form.get('note') ?? '').trim();
    create.mutate({
      provider: String(form.get('provider')),
      serverType: String(form.get('serverType') ?? '').trim(),
      currency: String(form.get('currency') ?? 'USD'),
      microsPerHour: String(form.get('perHour') ?? '').trim(),
      effectiveFrom: localInputToIso(String(form.get('effectiveFrom'))),
      ...(note ? { note } : {}),
    });
  };
  return (
    <>
      <table aria-labelledby="server-prices-title">
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col">Server type</th>
            <th scope="col">Per hour</th>
            <th scope="col">In force</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {prices.map((p) => (
            <tr key={p.id}>
              <td>{p.provider}</td>
              <td>{p.serverType}</td>
              <td>{microsText(p.microsPerHour, p.currency)}</td>
              <td>
                from {new Date(p.effectiveFrom).toLocaleString()}
                {p.supersededAt && <div className="muted">until {new Date(p.supersededAt).toLocaleString()}</div>}
              </td>
              <td>{p.current ? 'current' : p.supersededAt ? 'superseded' : 'scheduled'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {prices.length === 0 && <p>No server-type price yet.</p>}
      {canChange && (
        <form className="filters card" aria-labelledby="add-server-price-title" onSubmit={submit}>
          <h3 id="add-server-price-title">Add a server-type price version</h3>
          <label htmlFor="server-provider">Provider</label>
          <select id="server-provider" name="provider">
            <option value="hetzner">hetzner</option>
            <option value="byo">byo</option>
            <option value="local">local</option>
          </select>
          <label htmlFor="server-type">Server type</label>
          <input id="server-type" name="serverType" required maxLength={64} />
          <label htmlFor="server-currency">Currency</label>
          <input id="server-currency" name="currency" required pattern="[A-Z]{3}" size={4} defaultValue="USD" />
          <label htmlFor="server-per-hour">Micros per hour</label>
          <input id="server-per-hour" name="perHour" required inputMode="numeric" pattern="[0-9]{1,19}" />
          <label htmlFor="server-from">In force from</label>
          <input id="server-from" name="effectiveFrom" type="datetime-local" required defaultValue={nowForInput()} />
          <label htmlFor="server-note">Note</label>
          <input id="server-note" name="note" maxLength={500} />
          <button type="submit" disabled={create.isPending}>
            Add server price
          </button>
          <ErrorNote error={create.error} />
        </form>
      )}
    </>
  );
}
