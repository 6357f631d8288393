import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../api/http';
import type { ReleaseList, RolloutList } from '../api/types';
import { navigate, useSearch } from '../router';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorNote } from '../ui/layout';
import { useCanChange } from './use-can-change';
import { useRolloutStream } from './use-rollout-stream';

type Control = 'pause' | 'resume' | 'abort';

/** Releases and rollouts: start one (canary, batch size, failure threshold), watch it live per box, pause / abort. */
export default function RolloutsPage() {
  const client = useQueryClient();
  // A viewer watches rollouts but is offered no start, pause or abort (the API would refuse them).
  const canChange = useCanChange();
  const selected = useSearch().get('id');
  const [confirmAbort, setConfirmAbort] = useState(false);
  const rollouts = useQuery({
    queryKey: ['rollouts'],
    queryFn: () => api<RolloutList>('/v1/operator/rollouts?limit=20'),
  });
  const releases = useQuery({ queryKey: ['releases'], queryFn: () => api<ReleaseList>('/v1/operator/releases') });
  const { rollout, live } = useRolloutStream(selected);
  const start = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      api<{ id: string }>('/v1/operator/rollouts', { method: 'POST', body }),
    onSuccess: (started) => {
      void client.invalidateQueries({ queryKey: ['rollouts'] });
      navigate(`/rollouts?id=${started.id}`);
    },
  });
  const control = useMutation({
    mutationFn: (action: Control) =>
      api(`/v1/operator/rollouts/${encodeURIComponent(selected ?? '')}/${action}`, { method: 'POST' }),
    onSettled: () => client.invalidateQueries({ queryKey: ['rollouts'] }),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    start.mutate({
      release: String(form.get('release')),
      canarySize: Number(form.get('canarySize')),
      batchSize: Number(form.get('batchSize')),
      maxFailures: Number(form.get('maxFailures')),
    });
  };
  return (
    <section aria-labelledby="rollouts-title">
      <h1 id="rollouts-title">Rollouts</h1>
      {canChange && (
        <form className="filters" onSubmit={submit} aria-label="Start a rollout">
          <label htmlFor="rollout-release">Release</label>
          <select id="rollout-release" name="release" required>
            {releases.data?.releases.map((release) => (
              <option key={release.id} value={release.version}>
                {release.version}
              </option>
            ))}
          </select>
          <label htmlFor="rollout-canary">Canary boxes</label>
          <input id="rollout-canary" name="canarySize" type="number" min={0} max={100} defaultValue={1} />
          <label htmlFor="rollout-batch">Batch size</label>
          <input id="rollout-batch" name="batchSize" type="number" min={1} max={1000} defaultValue={8} />
          <label htmlFor="rollout-failures">Failures that stop it</label>
          <input id="rollout-failures" name="maxFailures" type="number" min={1} defaultValue={1} />
          <button type="submit" disabled={start.isPending}>
            Start rollout
          </button>
        </form>
      )}
      <ErrorNote error={start.error ?? rollouts.error ?? releases.error} />
      {selected && (
        <article className="card" aria-labelledby="rollout-live-title">
          <h2 id="rollout-live-title">
            Rollout {rollout?.release ?? ''} {live && <span className="live">live</span>}
          </h2>
          {rollout && (
            <>
              <p role="status" data-testid="rollout-status">
                {rollout.status}: {rollout.succeededBoxes}/{rollout.totalBoxes} boxes succeeded
                {rollout.failedBoxes > 0 ? `, ${rollout.failedBoxes} failed` : ''}
                {rollout.reason ? ` (${rollout.reason})` : ''}
              </p>
              <progress max={Math.max(1, rollout.totalBoxes)} value={rollout.succeededBoxes + rollout.failedBoxes}>
                {rollout.succeededBoxes + rollout.failedBoxes} of {rollout.totalBoxes}
              </progress>
              {canChange && (
                <div className="actions">
                  {rollout.status === 'running' && (
                    <button type="button" onClick={() => control.mutate('pause')}>
                      Pause
                    </button>
                  )}
                  {rollout.status === 'paused' && (
                    <button type="button" onClick={() => control.mutate('resume')}>
                      Resume
                    </button>
                  )}
                  {!rollout.finishedAt && (
                    <button type="button" className="danger" onClick={() => setConfirmAbort(true)}>
                      Abort
                    </button>
                  )}
                </div>
              )}
              <ErrorNote error={control.error} />
              <table>
                <thead>
                  <tr>
                    <th scope="col">Box</th>
                    <th scope="col">Batch</th>
                    <th scope="col">Status</th>
                    <th scope="col">Error</th>
                  </tr>
                </thead>
                <tbody>
                  {rollout.boxes.map((box) => (
                    <tr key={box.boxId}>
                      <td>{box.boxName ?? box.boxId}</td>
                      <td>{box.batch === 0 ? 'canary' : box.batch}</td>
                      <td>{box.status}</td>
                      <td>{box.error ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          <ConfirmDialog
            open={confirmAbort}
            title="Abort this rollout?"
            confirmLabel="Abort"
            onCancel={() => setConfirmAbort(false)}
            onConfirm={() => {
              control.mutate('abort');
              setConfirmAbort(false);
            }}
          >
            <p>Every box it moved is put back on its previous release.</p>
          </ConfirmDialog>
        </article>
      )}
      <h2>Recent rollouts</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Release</th>
            <th scope="col">Status</th>
            <th scope="col">Boxes</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {rollouts.data?.rollouts.map((listed) => {
            // The rollout being watched shows its live state here too, not the list's snapshot.
            const r = rollout && listed.id === rollout.id ? rollout : listed;
            return (
              <tr key={r.id} aria-current={r.id === selected ? 'true' : undefined}>
                <td>
                  <a
                    href={`/console/rollouts?id=${r.id}`}
                    onClick={(event) => {
                      event.preventDefault();
                      navigate(`/rollouts?id=${r.id}`);
                    }}
                  >
                    {r.release}
                  </a>
                </td>
                <td>{r.status}</td>
                <td>
                  {r.succeededBoxes}/{r.totalBoxes}
                </td>
                <td>{new Date(r.createdAt).toLocaleString()}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
