import { useQuery } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { api, query } from '../api/http';
import type { HostList } from '../api/operator-ops-types';
import { Link, navigate, useSearch } from '../router';
import { ErrorNote } from '../ui/layout';

/**
 * Bring-your-own hosts in the order signups claim them: their pool, state, and the tenant (and so the box) each is
 * assigned to. A host is a box of provider `byo`, so its page is the box page.
 */
export default function HostsPage() {
  const search = useSearch();
  const pool = search.get('pool') ?? '';
  const free = search.get('free') ?? '';
  const hosts = useQuery({
    queryKey: ['hosts', pool, free],
    queryFn: () => api<HostList>(`/v1/operator/hosts${query({ pool, free })}`),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    navigate(`/hosts${query({ pool: String(form.get('pool') ?? '').trim(), free: String(form.get('free') ?? '') })}`);
  };
  return (
    <section aria-labelledby="hosts-title">
      <h1 id="hosts-title">Hosts</h1>
      <form className="filters" aria-label="Filter hosts" onSubmit={submit} key={`${pool}|${free}`}>
        <label htmlFor="host-pool">Pool</label>
        <input id="host-pool" name="pool" defaultValue={pool} />
        <label htmlFor="host-free">Assignment</label>
        <select id="host-free" name="free" defaultValue={free}>
          <option value="">any</option>
          <option value="true">free</option>
          <option value="false">assigned</option>
        </select>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={hosts.error} />
      {hosts.data && (
        <>
          <table>
            <caption className="visually-hidden">Bring-your-own hosts, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Pool</th>
                <th scope="col">State</th>
                <th scope="col">Assigned to</th>
                <th scope="col">Host key</th>
                <th scope="col">Bootstrapped</th>
              </tr>
            </thead>
            <tbody>
              {hosts.data.hosts.map((host) => (
                <tr key={host.id}>
                  <td>
                    <Link to={`/boxes/${host.id}`}>{host.name ?? host.id}</Link>
                    <div className="muted">
                      {host.user}@{host.address}:{host.port}
                    </div>
                  </td>
                  <td>{host.pool ?? '—'}</td>
                  <td>
                    <span className={`status status-${host.status}`}>{host.status}</span>
                    {host.statusReason && <div className="muted">{host.statusReason}</div>}
                  </td>
                  <td>{host.tenantId ? <Link to={`/tenants/${host.tenantId}`}>tenant</Link> : 'free'}</td>
                  <td>
                    <code className="fingerprint">{host.fingerprint ?? '—'}</code>
                  </td>
                  <td>{host.bootstrappedAt ? new Date(host.bootstrappedAt).toLocaleString() : 'not yet'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {hosts.data.hosts.length === 0 && <p>No host matches.</p>}
        </>
      )}
    </section>
  );
}
