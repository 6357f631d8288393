import { useQuery } from '@tanstack/react-query';
import { api, query } from '../../api/http';
import type { OperatorAlertList } from '../../api/operator-pages-types';
import { ErrorNote } from '../../ui/layout';

const SHOWN = 20;

/** The tenant's alerts, open ones first in the API's newest-first order (GET /v1/operator/alerts?tenantId=). */
export function TenantAlerts({ tenantId }: { tenantId: string }) {
  const alerts = useQuery({
    queryKey: ['tenant-alerts', tenantId],
    queryFn: () => api<OperatorAlertList>(`/v1/operator/alerts${query({ tenantId, limit: SHOWN })}`),
    refetchInterval: 30_000,
  });
  const rows = alerts.data?.alerts ?? [];
  const open = rows.filter((alert) => alert.status === 'open');
  const rest = rows.filter((alert) => alert.status !== 'open');
  return (
    <section aria-labelledby="tenant-alerts-title">
      <h2 id="tenant-alerts-title">Alerts</h2>
      <ErrorNote error={alerts.error} />
      {alerts.data &&
        (rows.length === 0 ? (
          <p>No alerts.</p>
        ) : (
          <table>
            <caption className="visually-hidden">The tenant's latest {SHOWN} alerts, open ones first</caption>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Status</th>
                <th scope="col">Alert</th>
                <th scope="col">Times</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {[...open, ...rest].map((alert) => (
                <tr key={alert.id}>
                  <td>
                    <span className={`severity severity-${alert.severity}`}>{alert.severity}</span>
                  </td>
                  <td>{alert.status}</td>
                  <td>
                    <code>{alert.code}</code> {alert.message}
                  </td>
                  <td className="number">{alert.occurrences}</td>
                  <td>{new Date(alert.lastSeenAt).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </section>
  );
}
