import './workspace.css';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api } from '../api/http';
import { Link } from '../router';
import { ErrorNote } from '../ui/layout';
import { RunActions } from './run-actions';
import { RunEvents } from './run-events';
import { formatCost, formatDuration, runIsLive, StatusBadge } from './run-status';
import { StepGraph } from './step-graph';
import { StepPanel } from './step-panel';
import type { RunDetail } from './types';
import { useRole } from './use-role';
import { useRunEvents } from './use-run-events';

/**
 * One run: its status, the chain's step graph with each step's status and attempts, the chosen step's terminal and
 * output, the run's events as they arrive, and (for members and up) cancel and replay. Another workspace's run, or
 * no run at all, is the API's 404 and a "not found" page here.
 */
export default function RunPage({ id }: { id: string }) {
  const run = useQuery({
    queryKey: ['run', id],
    queryFn: () => api<RunDetail>(`/v1/runs/${encodeURIComponent(id)}`),
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
    // The event stream refreshes the run as its events land; this only covers a run that is quiet for long.
    refetchInterval: (query) => (query.state.data && runIsLive(query.state.data.status) ? 10_000 : false),
  });
  if (run.error instanceof ApiError && (run.error.status === 404 || run.error.status === 400)) {
    return (
      <section aria-labelledby="run-missing">
        <h1 id="run-missing">Run not found</h1>
        <p>There is no run {id} in this workspace.</p>
        <Link to="/app/runs">All runs</Link>
      </section>
    );
  }
  if (!run.data) return run.error ? <ErrorNote error={run.error} /> : <p className="loading">Loading…</p>;
  return <RunView run={run.data} />;
}

function RunView({ run }: { run: RunDetail }) {
  const { canAct } = useRole();
  const live = runIsLive(run.status);
  const epoch = run.steps.reduce((n, step) => n + step.attempts.length, 0);
  const { events, connected } = useRunEvents(run.id, live, epoch);
  const [selected, setSelected] = useState<string | null>(null);
  // Until someone picks a step: the one running now, else the last that ran.
  const shown =
    run.steps.find((s) => s.name === selected) ??
    run.steps.find((s) => s.status === 'running' || s.status === 'waiting_decision') ??
    [...run.steps].reverse().find((s) => s.status !== 'pending') ??
    run.steps[0];
  return (
    <section aria-labelledby="run-title">
      <p>
        <Link to="/app/runs">← All runs</Link>
      </p>
      <h1 id="run-title">
        Run of {run.chain.name} <StatusBadge status={run.status} />
      </h1>
      <p className="muted" data-testid="run-summary">
        {run.id} · started {new Date(run.createdAt).toLocaleString()} · {formatDuration(run.durationMs)} ·{' '}
        {run.tokensIn} tokens in, {run.tokensOut} out · {formatCost(run.costMinor)}
        {live && (connected ? ' · following live' : ' · connecting…')}
      </p>
      {run.error && (
        <p className="error" role="note">
          {run.error}
        </p>
      )}
      {run.pendingDecisionIds.length > 0 && (
        <p>
          Waiting for a decision: <Link to="/app/inbox">answer it in the inbox</Link>.
        </p>
      )}
      {canAct && <RunActions key={run.status} run={run} />}
      <StepGraph steps={run.steps} selected={shown?.name ?? null} onSelect={setSelected} />
      {shown ? (
        <StepPanel key={shown.name} runId={run.id} step={shown} />
      ) : (
        <p className="muted">No step has started yet.</p>
      )}
      <RunEvents events={events} />
      {Object.keys(run.inputs).length > 0 && (
        <details className="run-inputs">
          <summary>Inputs</summary>
          <pre>{JSON.stringify(run.inputs, null, 2)}</pre>
        </details>
      )}
    </section>
  );
}
