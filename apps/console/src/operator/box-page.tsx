import { useQuery } from '@tanstack/react-query';
import { api } from '../api/http';
import type { BoxDetail } from '../api/operator-ops-types';
import { Link } from '../router';
import { ErrorNote } from '../ui/layout';
import { BoxActions } from './box-actions';
import { BoxDeploys } from './box-deploys';
import { useCanChange } from './use-can-change';

/** One box: health, release, host key, its deploy history with log tails, and (for operators) its actions. */
export default function BoxPage({ id }: { id: string }) {
  const canChange = useCanChange();
  const box = useQuery({
    queryKey: ['box', id],
    queryFn: () => api<BoxDetail>(`/v1/operator/boxes/${encodeURIComponent(id)}`),
    // A deploy in flight is followed (its rows and log tail change as it goes).
    refetchInterval: (q) =>
      q.state.data?.deploys.some((d) => d.status === 'queued' || d.status === 'running') ? 1_000 : 15_000,
  });
  const data = box.data;
  return (
    <section aria-labelledby="box-title">
      <p>
        <Link to="/boxes">← Boxes</Link>
      </p>
      <ErrorNote error={box.error} />
      {data && (
        <>
          <h1 id="box-title">Box {data.name ?? data.id}</h1>
          <dl className="facts">
            <dt>Health</dt>
            <dd>
              <span className={`status status-${data.status}`} data-testid="box-status">
                {data.status}
              </span>
              {data.statusReason ? ` (${data.statusReason})` : ''}
            </dd>
            <dt>Tenant</dt>
            <dd>
              {data.tenantId ? (
                <Link to={`/tenants/${data.tenantId}`}>{data.tenantSlug ?? data.tenantId}</Link>
              ) : (
                'none (free)'
              )}
            </dd>
            <dt>Provider</dt>
            <dd>{data.pool ? `${data.provider} (pool ${data.pool})` : data.provider}</dd>
            <dt>Address</dt>
            <dd>{data.address ? `${data.address}:${data.port}` : '—'}</dd>
            <dt>Release</dt>
            <dd data-testid="box-release">{data.release ?? 'none'}</dd>
            <dt>Host key</dt>
            <dd>
              <code className="fingerprint">{data.hostKeyFingerprint ?? 'not pinned'}</code>
              {data.hostKeyPinnedAt && (
                <span className="muted"> pinned {new Date(data.hostKeyPinnedAt).toLocaleString()}</span>
              )}
            </dd>
            {data.hostKeyPendingFingerprint && (
              <>
                <dt>Presented instead</dt>
                <dd>
                  <code className="fingerprint">{data.hostKeyPendingFingerprint}</code>
                </dd>
              </>
            )}
            <dt>Last seen</dt>
            <dd>{data.lastSeenAt ? new Date(data.lastSeenAt).toLocaleString() : 'never'}</dd>
            <dt>Bootstrapped</dt>
            <dd>{data.bootstrappedAt ? new Date(data.bootstrappedAt).toLocaleString() : 'not yet'}</dd>
          </dl>
          {canChange && <BoxActions box={data} />}
          <BoxDeploys deploys={data.deploys} />
        </>
      )}
    </section>
  );
}
