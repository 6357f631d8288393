import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/http';
import type { TenantDetail, WorkflowStarted } from '../api/types';
import { Link } from '../router';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorNote } from '../ui/layout';
import { TenantAlerts } from './tenant/tenant-alerts';
import { TenantCharts } from './tenant/tenant-charts';
import { TenantInvoices } from './tenant/tenant-invoices';

type Action = 'suspend' | 'resume';

const ACTION_TEXT: Record<Action, { label: string; explain: string }> = {
  suspend: { label: 'Suspend', explain: 'Its box is stopped and its members can read but not change anything.' },
  resume: { label: 'Resume', explain: 'Its box is started again and its members can work as before.' },
};

/**
 * One tenant: status, plan, box, usage and cost charts, invoices, alerts, workflows and audit; suspend and resume,
 * each confirmed, audited by the API. Each section is its own query, so a slow one does not hold up the rest.
 */
export default function TenantPage({ id }: { id: string }) {
  const client = useQueryClient();
  const [confirming, setConfirming] = useState<Action | null>(null);
  const tenant = useQuery({
    queryKey: ['tenant', id],
    queryFn: () => api<TenantDetail>(`/v1/operator/tenants/${encodeURIComponent(id)}`),
    // While a workflow runs, the page follows it (the API has no stream of tenant workflows yet).
    refetchInterval: (q) => (q.state.data?.workflows.some((w) => w.status === 'running') ? 1_000 : false),
  });
  const start = useMutation({
    mutationFn: (kind: Action) =>
      api<WorkflowStarted>('/v1/operator/workflows', {
        method: 'POST',
        body: { kind, tenantId: id },
        headers: { 'idempotency-key': `console-${kind}-${id}-${Date.now()}` },
      }),
    onSettled: () => client.invalidateQueries({ queryKey: ['tenant', id] }),
  });
  const data = tenant.data;
  const busy = data?.workflows.some((w) => w.status === 'running') ?? false;
  const action: Action | null = data?.status === 'active' ? 'suspend' : data?.status === 'suspended' ? 'resume' : null;
  return (
    <section aria-labelledby="tenant-title">
      <ErrorNote error={tenant.error} />
      {data && (
        <>
          <h1 id="tenant-title">{data.name}</h1>
          <dl className="facts">
            <dt>Status</dt>
            <dd>
              <span className={`status status-${data.status}`} data-testid="tenant-status">
                {data.status}
              </span>
              {data.statusReason ? ` (${data.statusReason})` : ''}
            </dd>
            <dt>Slug</dt>
            <dd>{data.slug}</dd>
            <dt>Plan</dt>
            <dd>{data.plan.name}</dd>
            <dt>Owner</dt>
            <dd>{data.ownerEmail ?? '—'}</dd>
            <dt>Box</dt>
            <dd>{data.box ? `${data.box.status} · ${data.box.runtimeVersion ?? 'no runtime yet'}` : 'none'}</dd>
          </dl>
          <div className="actions">
            {action && (
              <button type="button" disabled={busy || start.isPending} onClick={() => setConfirming(action)}>
                {ACTION_TEXT[action].label} tenant
              </button>
            )}
            {busy && <span role="status">A workflow is running…</span>}
          </div>
          <ErrorNote error={start.error} />
          <ConfirmDialog
            open={confirming !== null}
            title={confirming ? `${ACTION_TEXT[confirming].label} ${data.name}?` : ''}
            confirmLabel={confirming ? ACTION_TEXT[confirming].label : ''}
            onCancel={() => setConfirming(null)}
            onConfirm={() => {
              if (confirming) start.mutate(confirming);
              setConfirming(null);
            }}
          >
            <p>{confirming ? ACTION_TEXT[confirming].explain : ''}</p>
          </ConfirmDialog>
          <TenantCharts tenantId={id} />
          <TenantInvoices tenantId={id} />
          <TenantAlerts tenantId={id} />
          <h2>Workflows</h2>
          {data.workflows.length === 0 && <p>No workflows.</p>}
          <table hidden={data.workflows.length === 0}>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Step</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {data.workflows.map((w) => (
                <tr key={w.id}>
                  <td>{w.kind}</td>
                  <td>{w.status}</td>
                  <td>{w.error ? `${w.currentStep ?? ''}: ${w.error}` : (w.currentStep ?? '—')}</td>
                  <td>{new Date(w.createdAt).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Audit</h2>
          <p>
            <Link to={`/audit?tenantId=${encodeURIComponent(id)}`}>Search all of this tenant's audit entries</Link>
          </p>
          {data.audit.length === 0 && <p>No audit entries.</p>}
          <table hidden={data.audit.length === 0}>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {data.audit.map((entry) => (
                <tr key={entry.id}>
                  <td>{new Date(entry.createdAt).toLocaleString()}</td>
                  <td>{entry.actorLabel}</td>
                  <td>{entry.action}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
