import './workspace.css';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, query } from '../api/http';
import { Link, navigate, useSearch } from '../router';
import { ErrorNote } from '../ui/layout';
import { formatCost, formatDuration, RUN_STATUSES, StatusBadge } from './run-status';
import { StartRunForm } from './start-run-form';
import type { RunList } from './types';
import { useRole } from './use-role';
import { CursorPager } from '../ui/cursor-pager';

const PAGE = 25;

/**
 * The workspace's runs, newest first, paged and filtered by the server (status, chain name); the filters live in the
 * URL so a filtered list can be shared and the back button works. Members start runs from here.
 */
export default function RunsPage() {
  const search = useSearch();
  const status = search.get('status') ?? '';
  const chain = search.get('chain') ?? '';
  const { canAct } = useRole();
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const runs = useQuery({
    queryKey: ['runs', status, chain, cursor],
    queryFn: () => api<RunList>(`/v1/runs${query({ status, chain, cursor, limit: PAGE })}`),
    placeholderData: keepPreviousData,
    // The list moves by itself while runs run: a light refresh, no stream per row.
    refetchInterval: 5_000,
  });
  const filter = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setCursors([]);
    navigate(
      `/app/runs${query({ status: String(form.get('status') ?? ''), chain: String(form.get('chain') ?? '').trim() })}`,
    );
  };
  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      {canAct && <StartRunForm />}
      <form className="filters" aria-label="Filter runs" onSubmit={filter} key={`${status}|${chain}`}>
        <label htmlFor="runs-status">Status</label>
        <select id="runs-status" name="status" defaultValue={status}>
          <option value="">any</option>
          {RUN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
        <label htmlFor="runs-chain">Chain</label>
        <input id="runs-chain" name="chain" defaultValue={chain} placeholder="chain name" />
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={runs.error} />
      {runs.data && (
        <>
          <table aria-busy={runs.isFetching} data-testid="runs-table">
            <caption className="visually-hidden">Runs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Chain</th>
                <th scope="col">Status</th>
                <th scope="col">Duration</th>
                <th scope="col">Cost</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.runs.map((run) => (
                <tr key={run.id}>
                  <td>
                    <Link to={`/app/runs/${run.id}`}>{run.id.slice(0, 8)}</Link>
                    {run.replayOfRunId && <div className="muted">replay from {run.replayFromStep}</div>}
                  </td>
                  <td>{run.chain.name}</td>
                  <td>
                    <StatusBadge status={run.status} />
                  </td>
                  <td>{formatDuration(run.durationMs)}</td>
                  <td>{formatCost(run.costMinor)}</td>
                  <td>{new Date(run.createdAt).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {runs.data.runs.length === 0 && <p>No run matches.</p>}
          <CursorPager cursors={cursors} setCursors={setCursors} nextCursor={runs.data.nextCursor} />
        </>
      )}
    </section>
  );
}
