import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, query } from '../api/http';
import type { TenantList } from '../api/types';
import { Link, navigate, useSearch } from '../router';
import { ErrorNote } from '../ui/layout';
import { readSort, SortableHeader, type SortState } from '../ui/sortable-header';
import { CursorPager } from '../ui/cursor-pager';
import { AnySelect } from '../ui/any-select';

const STATUSES = ['provisioning', 'provisioning_failed', 'active', 'suspended', 'deleting', 'deleted'];
const PAGE = 50;
const SORTS = ['created', 'name', 'slug', 'status'] as const;
type TenantSort = (typeof SORTS)[number];
const DEFAULT_SORT: SortState<TenantSort> = { sort: 'created', order: 'desc' };
const defaultOrder = (column: TenantSort) => (column === 'created' ? 'desc' : 'asc');

/**
 * Tenants, filtered, sorted and paged by the server (keyset pages, newest first unless a column header says
 * otherwise): the search, filter and sort live in the URL, so a search can be shared and the back button works.
 */
export default function TenantsPage() {
  const search = useSearch();
  const q = search.get('q') ?? '';
  const status = search.get('status') ?? '';
  const sorted = readSort(search, SORTS, DEFAULT_SORT, defaultOrder);
  // The cursors of the pages before this one: "Previous" pops one.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const tenants = useQuery({
    queryKey: ['tenants', q, status, sorted.sort, sorted.order, cursor],
    queryFn: () =>
      api<TenantList>(
        `/v1/operator/tenants${query({ q, status, sort: sorted.sort, order: sorted.order, cursor, limit: PAGE })}`,
      ),
    placeholderData: keepPreviousData,
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setCursors([]);
    const filters = { q: String(form.get('q') ?? '').trim(), status: String(form.get('status') ?? '') };
    navigate(`/tenants${query({ ...filters, ...sortParams(sorted) })}`);
  };
  const sortBy = (next: SortState<TenantSort>) => {
    setCursors([]);
    navigate(`/tenants${query({ q, status, ...sortParams(next) })}`);
  };
  const header = (label: string, column: TenantSort) => (
    <SortableHeader label={label} column={column} state={sorted} onSort={sortBy} defaultOrder={defaultOrder(column)} />
  );
  return (
    <section aria-labelledby="tenants-title">
      <h1 id="tenants-title">Tenants</h1>
      <form className="filters" aria-label="Search tenants" onSubmit={submit} key={`${q}|${status}`}>
        <label htmlFor="tenant-q">Search (slug, name or email prefix)</label>
        <input id="tenant-q" name="q" type="search" defaultValue={q} />
        <AnySelect id="tenant-status" name="status" label="Status" choices={STATUSES} defaultValue={status} />
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={tenants.error} />
      {tenants.data && (
        <>
          <table aria-busy={tenants.isFetching}>
            <caption className="visually-hidden">
              Tenants sorted by {sorted.sort}, {sorted.order === 'asc' ? 'ascending' : 'descending'}
            </caption>
            <thead>
              <tr>
                {header('Name', 'name')}
                {header('Slug', 'slug')}
                {header('Status', 'status')}
                <th scope="col">Plan</th>
                <th scope="col">Owner</th>
                <th scope="col">Box</th>
                {header('Created', 'created')}
              </tr>
            </thead>
            <tbody>
              {tenants.data.tenants.map((tenant) => (
                <tr key={tenant.id}>
                  <td>
                    <Link to={`/tenants/${tenant.id}`}>{tenant.name}</Link>
                  </td>
                  <td className="muted">{tenant.slug}</td>
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
          <CursorPager cursors={cursors} setCursors={setCursors} nextCursor={tenants.data.nextCursor} />
        </>
      )}
    </section>
  );
}

// The default sort stays out of the URL, so the plain /tenants address is the default list.
function sortParams(state: SortState<TenantSort>) {
  const isDefault = state.sort === DEFAULT_SORT.sort && state.order === DEFAULT_SORT.order;
  return isDefault ? {} : { sort: state.sort, order: state.order };
}
