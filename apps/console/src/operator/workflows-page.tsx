import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, query } from '../api/http';
import type { WorkflowList, WorkflowRetried, WorkflowSummary } from '../api/operator-ops-types';
import { Link, navigate, useSearch } from '../router';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorNote } from '../ui/layout';
import { useCanChange } from './use-can-change';
import { CursorPager } from '../ui/cursor-pager';
import { AnySelect } from '../ui/any-select';

const STATUSES = ['running', 'succeeded', 'failed', 'canceled'];
const KINDS = ['provision', 'suspend', 'resume', 'delete'];
const PAGE = 50;

/** Tenant workflows: state, step, attempts and errors; a failed one is retried from the step that failed (audited). */
export default function WorkflowsPage() {
  const client = useQueryClient();
  const canChange = useCanChange();
  const search = useSearch();
  const status = search.get('status') ?? '';
  const kind = search.get('kind') ?? '';
  const [befores, setBefores] = useState<string[]>([]);
  const [retrying, setRetrying] = useState<WorkflowSummary | null>(null);
  const before = befores.at(-1);
  const workflows = useQuery({
    queryKey: ['workflows', status, kind, before],
    queryFn: () => api<WorkflowList>(`/v1/operator/workflows${query({ status, kind, before, limit: PAGE })}`),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.workflows.some((w) => w.status === 'running') ? 2_000 : 15_000),
  });
  const retry = useMutation({
    mutationFn: (id: string) =>
      api<WorkflowRetried>(`/v1/operator/workflows/${encodeURIComponent(id)}/retry`, { method: 'POST' }),
    onSettled: () => client.invalidateQueries({ queryKey: ['workflows'] }),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBefores([]);
    navigate(`/workflows${query({ status: String(form.get('status') ?? ''), kind: String(form.get('kind') ?? '') })}`);
  };
  const last = workflows.data?.workflows.at(-1);
  return (
    <section aria-labelledby="workflows-title">
      <h1 id="workflows-title">Workflows</h1>
      <form className="filters" aria-label="Filter workflows" onSubmit={submit} key={`${status}|${kind}`}>
        <AnySelect id="workflow-status" name="status" label="Status" choices={STATUSES} defaultValue={status} />
        <AnySelect id="workflow-kind" name="kind" label="Kind" choices={KINDS} defaultValue={kind} />
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={workflows.error ?? retry.error} />
      {retry.data && <p role="status">Retry started (round {retry.data.round}).</p>}
      {workflows.data && (
        <>
          <table aria-busy={workflows.isFetching}>
            <caption className="visually-hidden">Workflows, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Workflow</th>
                <th scope="col">Tenant</th>
                <th scope="col">State</th>
                <th scope="col">Step</th>
                <th scope="col">Attempts</th>
                <th scope="col">Error</th>
                <th scope="col">Started</th>
                {canChange && <th scope="col">Retry</th>}
              </tr>
            </thead>
            <tbody>
              {workflows.data.workflows.map((w) => (
                <tr key={w.id} data-testid="workflow-row">
                  <td>
                    {w.kind}
                    {w.round > 0 && <div className="muted">round {w.round}</div>}
                  </td>
                  <td>
                    <Link to={`/tenants/${w.tenantId}`}>{w.tenant.slug}</Link>
                  </td>
                  <td>
                    <span className={`status status-${w.status}`}>{w.status}</span>
                  </td>
                  <td>
                    {w.currentStep ?? '—'}
                    <div className="muted">{w.steps.length} step(s) done</div>
                  </td>
                  <td className="number">{w.attempts}</td>
                  <td className="error">{w.error ?? ''}</td>
                  <td>{new Date(w.createdAt).toLocaleString()}</td>
                  {canChange && (
                    <td>
                      {w.status === 'failed' && (
                        <button
                          type="button"
                          aria-label={`Retry ${w.kind} of ${w.tenant.slug}`}
                          disabled={retry.isPending}
                          onClick={() => setRetrying(w)}
                        >
                          Retry…
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {workflows.data.workflows.length === 0 && <p>No workflow matches.</p>}
          <CursorPager
            cursors={befores}
            setCursors={setBefores}
            nextCursor={last && workflows.data.workflows.length >= PAGE ? last.createdAt : null}
            labels={['Newer', 'Older']}
          />
        </>
      )}
      <ConfirmDialog
        open={retrying !== null}
        title={retrying ? `Retry ${retrying.kind} of ${retrying.tenant.slug}?` : ''}
        confirmLabel="Retry"
        onCancel={() => setRetrying(null)}
        onConfirm={() => {
          if (retrying) retry.mutate(retrying.id);
          setRetrying(null);
        }}
      >
        <p>
          It starts again from the step that failed ({retrying?.currentStep ?? 'unknown'}); finished steps are kept.
        </p>
      </ConfirmDialog>
    </section>
  );
}
