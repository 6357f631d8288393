import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { api } from '../api/http';
import type { BoxDetail, JobRecord, Repinned, RolloutStarted } from '../api/operator-ops-types';
import type { ReleaseList, RolloutDetail } from '../api/types';
import { Link } from '../router';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorNote } from '../ui/layout';

type Pending =
  | { kind: 'deploy'; release: string }
  | { kind: 'repin'; fingerprint: string; reason: string }
  | { kind: 'rollback' | 'bootstrap'; reason: string };

const TITLE: Record<Pending['kind'], string> = {
  deploy: 'Deploy',
  repin: 'Re-pin the host key?',
  rollback: 'Roll this box back?',
  bootstrap: 'Bootstrap this box again?',
};
const CONFIRM: Record<Pending['kind'], string> = {
  deploy: 'Deploy',
  repin: 'Re-pin',
  rollback: 'Roll back',
  bootstrap: 'Bootstrap',
};

/**
 * A box's actions, each confirmed in the modal dialog and audited by the API. A deploy is a one-box rollout (the
 * fleet's careful deploy: upload, verify, switch, health, rollback on failure), so it shows on the rollouts page and
 * takes the fleet's one-active-rollout rule; a re-pin dials the box with the new key first and refuses a key it
 * does not present.
 */
export function BoxActions({ box }: { box: BoxDetail }) {
  const client = useQueryClient();
  const [pending, setPending] = useState<Pending | null>(null);
  const [rolloutId, setRolloutId] = useState<string | null>(null);
  const [maintainReason, setMaintainReason] = useState('');
  const releases = useQuery({ queryKey: ['releases'], queryFn: () => api<ReleaseList>('/v1/operator/releases') });
  const refresh = () => client.invalidateQueries({ queryKey: ['box', box.id] });
  // The deploy's rollout is followed until it ends; each change refreshes the box (its deploy row, log tail, release).
  const rollout = useQuery({
    queryKey: ['rollout', rolloutId],
    queryFn: () => api<RolloutDetail>(`/v1/operator/rollouts/${encodeURIComponent(rolloutId ?? '')}`),
    enabled: rolloutId !== null,
    refetchInterval: (q) => (q.state.data?.finishedAt ? false : 1_000),
  });
  const rolloutState = rollout.data ? `${rollout.data.status}:${rollout.data.updatedAt}` : null;
  useEffect(() => {
    if (rolloutState) void client.invalidateQueries({ queryKey: ['box', box.id] });
  }, [rolloutState, client, box.id]);
  const deploy = useMutation({
    mutationFn: (release: string) =>
      api<RolloutStarted>('/v1/operator/rollouts', {
        method: 'POST',
        body: { release, canarySize: 0, batchSize: 1, concurrency: 1, maxFailures: 1, boxIds: [box.id] },
      }),
    onSuccess: (started) => setRolloutId(started.id),
    onSettled: refresh,
  });
  const repin = useMutation({
    mutationFn: (body: { fingerprint: string; reason: string }) =>
      api<Repinned>(`/v1/operator/boxes/${encodeURIComponent(box.id)}/host-key`, { method: 'POST', body }),
    onSettled: refresh,
  });
  const maintain = useMutation({
    mutationFn: (input: { action: 'rollback' | 'bootstrap'; reason: string }) =>
      api<{ jobRecordId: string; release?: string }>(
        `/v1/operator/boxes/${encodeURIComponent(box.id)}/${input.action}`,
        { method: 'POST', body: { reason: input.reason } },
      ),
    onSettled: refresh,
  });
  const askMaintain = (action: 'rollback' | 'bootstrap') => {
    const reason = maintainReason.trim();
    if (reason.length >= 3) setPending({ kind: action, reason });
  };
  // The maintenance job is followed until it ends (its record in Postgres), then the box is read again.
  const jobId = maintain.data?.jobRecordId ?? null;
  const job = useQuery({
    queryKey: ['job', jobId],
    queryFn: () => api<JobRecord>(`/v1/operator/jobs/${encodeURIComponent(jobId ?? '')}`),
    enabled: jobId !== null,
    refetchInterval: (q) => (q.state.data?.finishedAt ? false : 1_000),
  });
  const jobState = job.data?.status ?? null;
  useEffect(() => {
    if (jobState) void client.invalidateQueries({ queryKey: ['box', box.id] });
  }, [jobState, client, box.id]);
  const choices = releases.data?.releases.filter((r) => !r.withdrawnAt && r.version !== box.release) ?? [];
  const askDeploy = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const release = String(new FormData(event.currentTarget).get('release') ?? '');
    if (release) setPending({ kind: 'deploy', release });
  };
  const askRepin = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending({
      kind: 'repin',
      fingerprint: String(form.get('fingerprint') ?? '').trim(),
      reason: String(form.get('reason') ?? '').trim(),
    });
  };
  const confirm = () => {
    if (pending?.kind === 'deploy') deploy.mutate(pending.release);
    if (pending?.kind === 'repin') repin.mutate({ fingerprint: pending.fingerprint, reason: pending.reason });
    if (pending?.kind === 'rollback' || pending?.kind === 'bootstrap') {
      maintain.mutate({ action: pending.kind, reason: pending.reason });
    }
    setPending(null);
  };
  return (
    <>
      <h2>Actions</h2>
      <form className="filters" aria-label="Deploy a release" onSubmit={askDeploy}>
        <label htmlFor="box-deploy-release">Release to deploy</label>
        <select id="box-deploy-release" name="release" required>
          {choices.map((r) => (
            <option key={r.id} value={r.version}>
              {r.version}
              {r.current ? ' (current)' : ''}
            </option>
          ))}
        </select>
        <button type="submit" disabled={deploy.isPending || choices.length === 0}>
          Deploy…
        </button>
      </form>
      {rolloutId && (
        <p role="status">
          Deploy <span data-testid="box-deploy-state">{rollout.data?.status ?? 'started'}</span>
          {rollout.data?.reason ? ` (${rollout.data.reason})` : ''}:{' '}
          <Link to={`/rollouts?id=${rolloutId}`}>its rollout</Link>.
        </p>
      )}
      <ErrorNote error={deploy.error} />
      <form
        className="filters"
        aria-label="Re-pin the host key"
        onSubmit={askRepin}
        key={box.hostKeyPendingFingerprint}
      >
        <label htmlFor="box-repin-fingerprint">Host key to pin</label>
        <input
          id="box-repin-fingerprint"
          name="fingerprint"
          required
          size={54}
          pattern="SHA256:[A-Za-z0-9+\/]{43}"
          defaultValue={box.hostKeyPendingFingerprint ?? box.hostKeyFingerprint ?? ''}
        />
        <label htmlFor="box-repin-reason">Reason</label>
        <input id="box-repin-reason" name="reason" required minLength={3} maxLength={500} />
        <button type="submit" disabled={repin.isPending}>
          Re-pin…
        </button>
      </form>
      {repin.data && (
        <p role="status">
          Pinned {repin.data.fingerprint}; box {repin.data.status}
          {repin.data.resolvedAlerts > 0 ? `, ${repin.data.resolvedAlerts} alert(s) resolved` : ''}.
        </p>
      )}
      <ErrorNote error={repin.error} />
      <form className="filters" aria-label="Maintenance" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor="box-maintain-reason">Reason for rollback or bootstrap</label>
        <input
          id="box-maintain-reason"
          value={maintainReason}
          minLength={3}
          maxLength={500}
          onChange={(event) => setMaintainReason(event.target.value)}
        />
        <button
          type="button"
          disabled={maintain.isPending || maintainReason.trim().length < 3 || !box.release}
          onClick={() => askMaintain('rollback')}
        >
          Roll back…
        </button>
        <button
          type="button"
          disabled={maintain.isPending || maintainReason.trim().length < 3}
          onClick={() => askMaintain('bootstrap')}
        >
          Re-bootstrap…
        </button>
      </form>
      {maintain.data && (
        <p role="status">
          {maintain.data.release ? `Rollback to ${maintain.data.release}` : 'Bootstrap'}:{' '}
          <span data-testid="box-maintenance-state" data-job={jobId ?? undefined}>
            {job.data?.status ?? 'queued'}
          </span>
          {job.data?.error ? ` (${job.data.error})` : ''}
        </p>
      )}
      <ErrorNote error={maintain.error} />
      <ConfirmDialog
        open={pending !== null}
        title={pending?.kind === 'deploy' ? `Deploy ${pending.release}?` : pending ? TITLE[pending.kind] : ''}
        confirmLabel={pending ? CONFIRM[pending.kind] : ''}
        onCancel={() => setPending(null)}
        onConfirm={confirm}
      >
        {pending?.kind === 'deploy' && (
          <p>
            {box.name ?? box.id} moves from {box.release ?? 'no release'} to {pending.release} as a one-box rollout. A
            failed health check puts it back. When it succeeds the release is promoted: new boxes get it too.
          </p>
        )}
        {pending?.kind === 'rollback' && (
          <p>
            {box.name ?? box.id} goes back from {box.release ?? 'its release'} to the release it ran before (kept on the
            box), restarted and health-checked.
          </p>
        )}
        {pending?.kind === 'bootstrap' && (
          <p>
            The bootstrap runs again: it repairs what drifted (user, directories, service, sshd) and changes nothing
            else.
          </p>
        )}
        {pending?.kind === 'repin' && (
          <p>
            The box must present <code>{pending.fingerprint}</code>; every later connection trusts only that key.
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}
