import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../api/http';
import { navigate } from '../router';
import { ErrorNote } from '../ui/layout';
import type { ChainList, RunSummary } from './types';

interface InputRow {
  key: string;
  value: string;
}

/**
 * Starts a run of a chain (its active version) with named inputs. An Idempotency-Key made once per form fill means a
 * double click or a retried request starts one run, not two.
 */
export function StartRunForm() {
  const id = useId();
  const chains = useQuery({ queryKey: ['chains', 'all'], queryFn: () => api<ChainList>('/v1/chains?limit=200') });
  const [chain, setChain] = useState('');
  const [rows, setRows] = useState<InputRow[]>([{ key: '', value: '' }]);
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());
  const start = useMutation({
    mutationFn: () => {
      const inputs = Object.fromEntries(rows.filter((r) => r.key.trim()).map((r) => [r.key.trim(), r.value]));
      return api<RunSummary>('/v1/runs', {
        method: 'POST',
        body: { chain, inputs },
        headers: { 'idempotency-key': idempotencyKey },
      });
    },
    onSuccess: (run) => {
      setIdempotencyKey(crypto.randomUUID());
      navigate(`/app/runs/${run.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (chain) start.mutate();
  };
  const setRow = (index: number, row: Partial<InputRow>) => {
    setIdempotencyKey(crypto.randomUUID());
    setRows(rows.map((r, i) => (i === index ? { ...r, ...row } : r)));
  };
  return (
    <form className="card start-run" aria-labelledby={`${id}-title`} onSubmit={submit}>
      <h2 id={`${id}-title`}>Start a run</h2>
      <label htmlFor={`${id}-chain`}>Chain</label>
      <select id={`${id}-chain`} value={chain} onChange={(e) => setChain(e.target.value)} required>
        <option value="">choose a chain</option>
        {chains.data?.chains.map((c) => (
          <option key={c.id} value={c.name}>
            {c.name}
          </option>
        ))}
      </select>
      <fieldset>
        <legend>Inputs</legend>
        {rows.map((row, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place; none is reordered
          <div className="input-row" key={index}>
            <label htmlFor={`${id}-key-${index}`}>Input name {index + 1}</label>
            <input
              id={`${id}-key-${index}`}
              value={row.key}
              pattern="[A-Za-z0-9_\-]{1,64}"
              onChange={(e) => setRow(index, { key: e.target.value })}
            />
            <label htmlFor={`${id}-value-${index}`}>Value {index + 1}</label>
            <textarea
              id={`${id}-value-${index}`}
              rows={1}
              value={row.value}
              onChange={(e) => setRow(index, { value: e.target.value })}
            />
          </div>
        ))}
        <button type="button" onClick={() => setRows([...rows, { key: '', value: '' }])}>
          Add an input
        </button>
      </fieldset>
      <ErrorNote error={start.error} />
      <button type="submit" disabled={!chain || start.isPending}>
        Start run
      </button>
    </form>
  );
}
