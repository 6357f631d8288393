import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, query } from '../api/http';
import type { JobList } from '../api/operator-ops-types';
import { navigate, useSearch } from '../router';
import { ErrorNote } from '../ui/layout';
import { CursorPager } from '../ui/cursor-pager';
import { AnySelect } from '../ui/any-select';

const STATUSES = ['queued', 'running', 'retrying', 'succeeded', 'failed'];
const PAGE = 50;

/**
 * Job records from Postgres (never Redis): state, attempts, the worker that ran it and its error. A failed job is
 * retried through what it belongs to (a workflow's retry, a rollout, a new upload): jobs have no retry of their own.
 */
export default function JobsPage() {
  const search = useSearch();
  const status = search.get('status') ?? '';
  const name = search.get('name') ?? '';
  // Older pages: the createdAt of the last row of each page before this one.
  const [befores, setBefores] = useState<string[]>([]);
  const before = befores.at(-1);
  const jobs = useQuery({
    queryKey: ['jobs', status, name, before],
    queryFn: () => api<JobList>(`/v1/operator/jobs${query({ status, name, before, limit: PAGE })}`),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBefores([]);
    navigate(
      `/jobs${query({ status: String(form.get('status') ?? ''), name: String(form.get('name') ?? '').trim() })}`,
    );
  };
  const last = jobs.data?.jobs.at(-1);
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <form className="filters" aria-label="Filter jobs" onSubmit={submit} key={`${status}|${name}`}>
        <AnySelect id="job-status" name="status" label="Status" choices={STATUSES} defaultValue={status} />
        <label htmlFor="job-name">Job name</label>
        <input id="job-name" name="name" defaultValue={name} placeholder="chain.sync" />
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={jobs.error} />
      {jobs.data && (
        <>
          <table aria-busy={jobs.isFetching}>
            <caption className="visually-hidden">Job records, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">State</th>
                <th scope="col">Attempts</th>
                <th scope="col">Worker</th>
                <th scope="col">Error</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.jobs.map((job) => (
                <tr key={job.id} data-testid="job-row">
                  <td>
                    {job.name}
                    <div className="muted">{job.queue}</div>
                  </td>
                  <td>
                    <span className={`status status-${job.status}`}>{job.status}</span>
                  </td>
                  <td className="number">
                    {job.attempts}
                    {job.maxAttempts ? ` of ${job.maxAttempts}` : ''}
                  </td>
                  <td>{job.workerId ?? '—'}</td>
                  <td className="error">{job.error ?? ''}</td>
                  <td>{new Date(job.createdAt).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {jobs.data.jobs.length === 0 && <p>No job matches.</p>}
          <CursorPager
            cursors={befores}
            setCursors={setBefores}
            nextCursor={last && jobs.data.jobs.length >= PAGE ? last.createdAt : null}
            labels={['Newer', 'Older']}
          />
        </>
      )}
    </section>
  );
}
