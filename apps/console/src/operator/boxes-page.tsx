import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { api, query } from '../api/http';
import type { BoxList } from '../api/operator-ops-types';
import { Link, navigate, useSearch } from '../router';
import { ErrorNote } from '../ui/layout';
import { SortableHeader, type SortState } from '../ui/sortable-header';

const STATUSES = ['pending', 'creating', 'starting', 'bootstrapping', 'deploying', 'ready', 'unhealthy'];
const MORE_STATUSES = ['unreachable', 'destroying', 'destroyed', 'failed'];
const PAGE = 50;

/**
 * Every box, filtered, sorted and paged by the server. Filters, sort and page live in the URL, so a view can be
 * shared and the back button works.
 */
export default function BoxesPage() {
  const search = useSearch();
  const params = {
    q: search.get('q') ?? '',
    status: search.get('status') ?? '',
    provider: search.get('provider') ?? '',
    sort: search.get('sort') ?? 'created',
    order: (search.get('order') === 'asc' ? 'asc' : 'desc') as 'asc' | 'desc',
    offset: Number(search.get('offset') ?? 0) || 0,
  };
  const go = (change: Partial<typeof params>) => navigate(`/boxes${query({ ...params, ...change })}`);
  const boxes = useQuery({
    queryKey: ['boxes', params],
    queryFn: () => api<BoxList>(`/v1/operator/boxes${query({ ...params, limit: PAGE })}`),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    go({
      q: String(form.get('q') ?? '').trim(),
      status: String(form.get('status') ?? ''),
      provider: String(form.get('provider') ?? ''),
      offset: 0,
    });
  };
  const sortBy = (next: SortState<string>) => go({ ...next, offset: 0 });
  // Times start newest first; names, health and releases in their natural order.
  const header = (column: string, label: string) => (
    <SortableHeader
      column={column}
      label={label}
      state={{ sort: params.sort, order: params.order }}
      onSort={sortBy}
      defaultOrder={column === 'last_seen' || column === 'created' ? 'desc' : 'asc'}
    />
  );
  return (
    <section aria-labelledby="boxes-title">
      <h1 id="boxes-title">Boxes</h1>
      <form
        className="filters"
        aria-label="Filter boxes"
        onSubmit={submit}
        key={`${params.q}|${params.status}|${params.provider}`}
      >
        <label htmlFor="box-q">Name or address prefix</label>
        <input id="box-q" name="q" type="search" defaultValue={params.q} />
        <label htmlFor="box-status">Status</label>
        <select id="box-status" name="status" defaultValue={params.status}>
          <option value="">any</option>
          {[...STATUSES, ...MORE_STATUSES].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label htmlFor="box-provider">Provider</label>
        <select id="box-provider" name="provider" defaultValue={params.provider}>
          <option value="">any</option>
          <option value="hetzner">hetzner</option>
          <option value="byo">byo</option>
          <option value="local">local</option>
        </select>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={boxes.error} />
      {boxes.data && (
        <>
          <p className="muted" role="status">
            {boxes.data.total} boxes
            {boxes.data.total > 0 && `, showing ${params.offset + 1}–${params.offset + boxes.data.boxes.length}`}
          </p>
          <table aria-busy={boxes.isFetching}>
            <caption className="visually-hidden">Boxes; the column headers sort</caption>
            <thead>
              <tr>
                {header('name', 'Name')}
                {header('status', 'Health')}
                <th scope="col">Provider</th>
                {header('release', 'Release')}
                {header('last_seen', 'Last seen')}
                <th scope="col">Host key</th>
                {header('created', 'Created')}
              </tr>
            </thead>
            <tbody>
              {boxes.data.boxes.map((box) => (
                <tr key={box.id}>
                  <td>
                    <Link to={`/boxes/${box.id}`}>{box.name ?? box.id}</Link>
                    <div className="muted">{box.address ? `${box.address}:${box.port}` : 'no address'}</div>
                  </td>
                  <td>
                    <span className={`status status-${box.status}`}>{box.status}</span>
                    {box.statusReason && <div className="muted">{box.statusReason}</div>}
                  </td>
                  <td>{box.pool ? `${box.provider} (${box.pool})` : box.provider}</td>
                  <td>{box.runtimeVersion ?? '—'}</td>
                  <td>{box.lastSeenAt ? new Date(box.lastSeenAt).toLocaleString() : 'never'}</td>
                  <td>
                    <code className="fingerprint">{box.hostKeyFingerprint ?? 'not pinned'}</code>
                  </td>
                  <td>{new Date(box.createdAt).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {boxes.data.boxes.length === 0 && <p>No box matches.</p>}
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              disabled={params.offset === 0}
              onClick={() => go({ offset: Math.max(0, params.offset - PAGE) })}
            >
              Previous page
            </button>
            <button
              type="button"
              disabled={boxes.data.nextOffset === null}
              onClick={() => boxes.data?.nextOffset != null && go({ offset: boxes.data.nextOffset })}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
