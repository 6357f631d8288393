import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, query } from '../api/http';
import type { AuditPage as AuditPageReply } from '../api/operator-pages-types';
import { navigate, useSearch } from '../router';
import { ErrorNote } from '../ui/layout';
import { AuditRow } from './audit/audit-row';
import { CursorPager } from '../ui/cursor-pager';

const PAGE = 50;
const FIELDS = ['actor', 'action', 'targetType', 'targetId', 'tenantId', 'from', 'to'] as const;
type Field = (typeof FIELDS)[number];

// <input type="datetime-local"> speaks local time without a zone; the API wants an instant.
const toInstant = (local: string) => (local ? new Date(local).toISOString() : '');
const toLocal = (iso: string) => {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

/**
 * The audit log, searched on the server (GET /v1/operator/audit: actor id or label, action or `prefix.`, target,
 * tenant, time range), newest first, keyset pages. The search lives in the URL so it can be shared (the tenant page
 * links here with its tenant).
 */
export default function AuditPage() {
  const search = useSearch();
  const filters = Object.fromEntries(FIELDS.map((field) => [field, search.get(field) ?? ''])) as Record<Field, string>;
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const entries = useQuery({
    queryKey: ['audit', filters, cursor],
    queryFn: () => api<AuditPageReply>(`/v1/operator/audit${query({ ...filters, cursor, limit: PAGE })}`),
    placeholderData: keepPreviousData,
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: Field) => String(form.get(name) ?? '').trim();
    setCursors([]);
    navigate(
      `/audit${query({
        ...Object.fromEntries(FIELDS.map((field) => [field, text(field)])),
        from: toInstant(text('from')),
        to: toInstant(text('to')),
      })}`,
    );
  };
  const field = (name: Field, label: string, props: { type?: string; placeholder?: string } = {}) => (
    <>
      <label htmlFor={`audit-${name}`}>{label}</label>
      <input
        id={`audit-${name}`}
        name={name}
        type={props.type ?? 'text'}
        placeholder={props.placeholder}
        defaultValue={props.type === 'datetime-local' ? toLocal(filters[name]) : filters[name]}
      />
    </>
  );
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form className="filters" aria-label="Search the audit log" onSubmit={submit} key={search.toString()}>
        {field('actor', 'Actor (email, key prefix or id)')}
        {field('action', 'Action', { placeholder: 'tenant.suspend or tenant.' })}
        {field('targetType', 'Target type', { placeholder: 'tenant, user, box…' })}
        {field('targetId', 'Target id')}
        {field('tenantId', 'Tenant id')}
        {field('from', 'From', { type: 'datetime-local' })}
        {field('to', 'Until', { type: 'datetime-local' })}
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={entries.error} />
      {entries.data && (
        <>
          <table aria-busy={entries.isFetching}>
            <caption className="visually-hidden">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">From</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {entries.data.entries.map((entry) => (
                <AuditRow key={entry.id} entry={entry} />
              ))}
            </tbody>
          </table>
          {entries.data.entries.length === 0 && <p>No audit entry matches.</p>}
          <CursorPager cursors={cursors} setCursors={setCursors} nextCursor={entries.data.nextCursor} />
        </>
      )}
    </section>
  );
}
