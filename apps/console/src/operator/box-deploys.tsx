import type { BoxDeploy } from '../api/operator-ops-types';

/** A box's deploys and rollbacks, newest first; each log tail opens on demand (a <details>, keyboard-operable). */
export function BoxDeploys({ deploys }: { deploys: BoxDeploy[] }) {
  return (
    <>
      <h2 id="deploys-title">Deploy history</h2>
      {deploys.length === 0 ? (
        <p>No deploy yet.</p>
      ) : (
        <table aria-labelledby="deploys-title">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Kind</th>
              <th scope="col">Release</th>
              <th scope="col">Status</th>
              <th scope="col">Log</th>
            </tr>
          </thead>
          <tbody>
            {deploys.map((deploy) => (
              <tr key={deploy.id} data-testid="deploy-row">
                <td>{new Date(deploy.createdAt).toLocaleString()}</td>
                <td>{deploy.kind}</td>
                <td>
                  {deploy.release}
                  {deploy.previousRelease && <div className="muted">from {deploy.previousRelease}</div>}
                </td>
                <td>
                  <span className={`status status-${deploy.status}`}>{deploy.status}</span>
                  {deploy.error && <div className="error">{deploy.error}</div>}
                </td>
                <td>
                  {deploy.logTail ? (
                    <details>
                      <summary>Log tail</summary>
                      <pre className="log">{deploy.logTail}</pre>
                    </details>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
