import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api } from '../api/http';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorNote } from '../ui/layout';
import { runIsLive } from './run-status';
import type { RunAction, RunDetail } from './types';

/** Cancel (confirmed) while the run is live; replay from a chosen step once it is over. Shown to members and up. */
export function RunActions({ run }: { run: RunDetail }) {
  const id = useId();
  const client = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [from, setFrom] = useState(run.steps[0]?.name ?? '');
  const done = () => client.invalidateQueries({ queryKey: ['run', run.id] });
  const cancel = useMutation({
    mutationFn: () => api<RunAction>(`/v1/runs/${encodeURIComponent(run.id)}/cancel`, { method: 'POST' }),
    onSuccess: done,
  });
  const replay = useMutation({
    mutationFn: () =>
      api<RunAction>(`/v1/runs/${encodeURIComponent(run.id)}/replay`, { method: 'POST', body: { from } }),
    onSuccess: done,
  });
  const live = runIsLive(run.status);
  return (
    <div className="run-actions">
      {live ? (
        <button type="button" className="danger" onClick={() => setConfirming(true)} disabled={cancel.isPending}>
          Cancel run
        </button>
      ) : (
        <form
          aria-label="Replay"
          onSubmit={(event) => {
            event.preventDefault();
            replay.mutate();
          }}
        >
          <label htmlFor={`${id}-from`}>Replay from step</label>
          <select id={`${id}-from`} value={from} onChange={(e) => setFrom(e.target.value)}>
            {run.steps.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
          </select>
          <button type="submit" disabled={!from || replay.isPending}>
            Replay
          </button>
        </form>
      )}
      <ErrorNote error={cancel.error ?? replay.error} />
      <ConfirmDialog
        open={confirming}
        title="Cancel this run?"
        confirmLabel="Yes, cancel the run"
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          cancel.mutate();
        }}
      >
        <p>Its running steps are stopped and its pending decisions end. This cannot be undone.</p>
      </ConfirmDialog>
    </div>
  );
}
