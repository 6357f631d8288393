import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { api } from '../api/http';
import type { ModelPriceCreated } from '../api/operator-ops-types';
import { ErrorNote } from '../ui/layout';
import { localInputToIso, nowForInput } from './money';

/** Adds a model price version, in force from the instant given (the previous version is superseded then). */
export function ModelPriceForm() {
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      api<ModelPriceCreated>('/v1/operator/billing/model-prices', { method: 'POST', body }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['model-prices'] });
      void client.invalidateQueries({ queryKey: ['unpriced'] });
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const cached = String(form.get('cached') ?? '').trim();
    const note = String(form.get('note') ?? '').trim();
    create.mutate({
      model: String(form.get('model') ?? '').trim(),
      currency: String(form.get('currency') ?? 'USD'),
      // Strings: micros can pass what a JSON number holds exactly.
      inputMicrosPerMillion: String(form.get('input') ?? '').trim(),
      outputMicrosPerMillion: String(form.get('output') ?? '').trim(),
      ...(cached ? { cachedInputMicrosPerMillion: cached } : {}),
      effectiveFrom: localInputToIso(String(form.get('effectiveFrom'))),
      ...(note ? { note } : {}),
    });
  };
  return (
    <form className="filters card" aria-labelledby="add-model-price-title" onSubmit={submit}>
      <h3 id="add-model-price-title">Add a model price version</h3>
      <label htmlFor="price-model">Model</label>
      <input id="price-model" name="model" required maxLength={128} />
      <label htmlFor="price-currency">Currency</label>
      <input id="price-currency" name="currency" required pattern="[A-Z]{3}" size={4} defaultValue="USD" />
      <label htmlFor="price-input">Input micros per 1M tokens</label>
      <input id="price-input" name="input" required inputMode="numeric" pattern="[0-9]{1,19}" />
      <label htmlFor="price-output">Output micros per 1M tokens</label>
      <input id="price-output" name="output" required inputMode="numeric" pattern="[0-9]{1,19}" />
      <label htmlFor="price-cached">Cached input micros per 1M (optional)</label>
      <input id="price-cached" name="cached" inputMode="numeric" pattern="[0-9]{1,19}" />
      <label htmlFor="price-from">In force from</label>
      <input id="price-from" name="effectiveFrom" type="datetime-local" required defaultValue={nowForInput()} />
      <label htmlFor="price-note">Note</label>
      <input id="price-note" name="note" maxLength={500} />
      <button type="submit" disabled={create.isPending}>
        Add price version
      </button>
      {create.data && (
        <p role="status">
          Added {create.data.price.model}; {create.data.reRated} unpriced usage event(s) priced.
        </p>
      )}
      <ErrorNote error={create.error} />
    </form>
  );
}
