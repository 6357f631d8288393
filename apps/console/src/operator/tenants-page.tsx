import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, query } from '../api/http';
import type { TenantList } from '../api/types';
import { Link, navigate, useSearch } from '../router';
import { ErrorNote } from '../ui/layout';

const STATUSES = ['provisioning', 'provisioning_failed', 'active', 'suspended', 'deleting', 'deleted'];
const PAGE = 50;

/**
 * Tenants, filtered and paged by the server (keyset pages, newest first): the search and filter live in the URL, so a
 * search can be shared and the back button works.
 */
export default function TenantsPage() {
  const search = useSearch();
  const q = search.get('q') ?? '';
  const status = search.get('status') ?? '';
  // The cursors of the pages before this one: "Previous" pops one.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const tenants = useQuery({
    queryKey: ['tenants', q, status, cursor],
    queryFn: () => api<TenantList>(`/v1/operator/tenants${query({ q, status, cursor, limit: PAGE })}`),
    placeholderData: keepPreviousData,
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setCursors([]);
    navigate(`/tenants${query({ q: String(form.get('q') ?? '').trim(), status: String(form.get('status') ?? '') })}`);
  };
  return (
    <section aria-labelledby="tenants-title">
      <h1 id="tenants-title">Tenants</h1>
      <form className="filters" aria-label="Search tenants" onSubmit={submit} key={`${q}|${status}`}>
        <label htmlFor="tenant-q">Search (slug, name or email prefix)</label>
        <input id="tenant-q" name="q" type="search" defaultValue={q} />
        <label htmlFor="tenant-status">Status</label>
        <select id="tenant-status" name="status" defaultValue={status}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={tenants.error} />
      {tenants.data && (
        <>
          <table aria-busy={tenants.isFetching}>
            <caption className="visually-hidden">Tenants, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Plan</th>
                <th scope="col">Owner</th>
                <th scope="col">Box</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {tenants.data.tenants.map((tenant) => (
                <tr key={tenant.id}>
                  <td>
                    <Link to={`/tenants/${tenant.id}`}>{tenant.name}</Link>
                    <div className="muted">{tenant.slug}</div>
                  </td>
                  <td>
                    <span className={`status status-${tenant.status}`}>{tenant.status}</span>
                  </td>
                  <td>{tenant.plan.name}</td>
                  <td>{tenant.ownerEmail ?? '—'}</td>
                  <td>{tenant.box ? `${tenant.box.status}` : '—'}</td>
                  <td>{new Date(tenant.createdAt).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {tenants.data.tenants.length === 0 && <p>No tenant matches.</p>}
          <nav className="pager" aria-label="Pages">
            <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous page
            </button>
            <button
              type="button"
              disabled={!tenants.data.nextCursor}
              onClick={() => tenants.data?.nextCursor && setCursors([...cursors, tenants.data.nextCursor])}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
