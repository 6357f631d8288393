import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../api/http';
import type { ModelPrice, ModelPriceCreated } from '../api/operator-ops-types';
import { ErrorNote } from '../ui/layout';
import { microsText } from './money';

/**
 * Every model price version, by model then oldest first, `current` marking the one in force. Any version can be
 * opened for a fix; the API refuses one that has rated usage (409 price_in_use) and its message is shown as it is.
 */
export function ModelPrices({ prices, canChange }: { prices: ModelPrice[]; canChange: boolean }) {
  const client = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const update = useMutation({
    mutationFn: (input: { id: string; body: Record<string, unknown> }) =>
      api<ModelPriceCreated>(`/v1/operator/billing/model-prices/${encodeURIComponent(input.id)}`, {
        method: 'PATCH',
        body: input.body,
      }),
    onSuccess: () => {
      setEditing(null);
      void client.invalidateQueries({ queryKey: ['model-prices'] });
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>, id: string) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    update.mutate({
      id,
      body: {
        inputMicrosPerMillion: String(form.get('input')),
        outputMicrosPerMillion: String(form.get('output')),
        note: String(form.get('note') ?? ''),
      },
    });
  };
  return (
    <>
      <table aria-labelledby="model-prices-title">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">Input / 1M tokens</th>
            <th scope="col">Output / 1M tokens</th>
            <th scope="col">Cached input / 1M</th>
            <th scope="col">In force</th>
            <th scope="col">State</th>
            {canChange && <th scope="col">Fix</th>}
          </tr>
        </thead>
        <tbody>
          {prices.map((p) => (
            <tr key={p.id} data-testid="model-price-row">
              <td>
                {p.model}
                {p.note && <div className="muted">{p.note}</div>}
              </td>
              <td>{microsText(p.inputMicrosPerMillion, p.currency)}</td>
              <td>{microsText(p.outputMicrosPerMillion, p.currency)}</td>
              <td>{microsText(p.cachedInputMicrosPerMillion, p.currency)}</td>
              <td>
                from {new Date(p.effectiveFrom).toLocaleString()}
                {p.supersededAt && <div className="muted">until {new Date(p.supersededAt).toLocaleString()}</div>}
              </td>
              <td>
                {p.current ? 'current' : p.supersededAt ? 'superseded' : 'scheduled'}
                {p.used ? ' · used' : ''}
              </td>
              {canChange && (
                <td>
                  {editing === p.id ? (
                    <form className="filters" aria-label={`Fix ${p.model} price`} onSubmit={(e) => submit(e, p.id)}>
                      <label htmlFor={`fix-in-${p.id}`}>Input micros</label>
                      <input
                        id={`fix-in-${p.id}`}
                        name="input"
                        inputMode="numeric"
                        defaultValue={p.inputMicrosPerMillion}
                      />
                      <label htmlFor={`fix-out-${p.id}`}>Output micros</label>
                      <input
                        id={`fix-out-${p.id}`}
                        name="output"
                        inputMode="numeric"
                        defaultValue={p.outputMicrosPerMillion}
                      />
                      <label htmlFor={`fix-note-${p.id}`}>Note</label>
                      <input id={`fix-note-${p.id}`} name="note" defaultValue={p.note ?? ''} />
                      <button type="submit" disabled={update.isPending}>
                        Save
                      </button>
                      <button type="button" onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </form>
                  ) : (
                    <button
                      type="button"
                      aria-label={`Fix ${p.model} from ${new Date(p.effectiveFrom).toLocaleString()}`}
                      onClick={() => {
                        update.reset();
                        setEditing(p.id);
                      }}
                    >
                      Fix
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {prices.length === 0 && <p>No model price yet.</p>}
      <ErrorNote error={update.error} />
    </>
  );
}
