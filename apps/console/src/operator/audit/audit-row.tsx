import type { AuditEntry } from '../../api/operator-pages-types';

/** One audit entry: who, what, on what, from where, and the before/after it recorded (folded, read on demand). */
export function AuditRow({ entry }: { entry: AuditEntry }) {
  const change = { before: entry.before, after: entry.after, details: entry.details };
  const hasChange = entry.before !== null || entry.after !== null || (entry.details ?? null) !== null;
  return (
    <tr data-testid="audit-entry">
      <td>{new Date(entry.at).toLocaleString()}</td>
      <td>
        {entry.actor.label}
        <div className="muted">{entry.actor.type}</div>
      </td>
      <td>
        <code>{entry.action}</code>
      </td>
      <td>
        {entry.target.type ?? '—'}
        {entry.target.id && <div className="muted">{entry.target.id}</div>}
      </td>
      <td>{entry.ipAddress ?? '—'}</td>
      <td>
        {hasChange ? (
          <details className="audit-change">
            <summary>Show</summary>
            <pre>{JSON.stringify(change, null, 2)}</pre>
          </details>
        ) : (
          '—'
        )}
      </td>
    </tr>
  );
}
