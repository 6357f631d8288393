import './workspace.css';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api } from '../api/http';
import { Link } from '../router';
import { ErrorNote } from '../ui/layout';
import { StagingResult } from './staging-result';
import type { ChainList, ChainVersionList } from './types';
import { VersionDiff } from './version-diff';

/**
 * One chain: its versions (status, when uploaded and synced), the staging result of a chosen version, and the
 * difference between any two versions. Another workspace's chain is the API's 404 and "not found" here.
 */
export default function ChainPage({ id }: { id: string }) {
  const versions = useQuery({
    queryKey: ['chain-versions', id],
    queryFn: () => api<ChainVersionList>(`/v1/chains/${encodeURIComponent(id)}/versions`),
    retry: false,
  });
  // The chain's name: the versions list does not carry it, the (cached) chain list does.
  const chains = useQuery({ queryKey: ['chains', 'all'], queryFn: () => api<ChainList>('/v1/chains?limit=200') });
  const name = chains.data?.chains.find((c) => c.id === id)?.name ?? 'chain';
  const list = versions.data?.versions ?? [];
  const newest = list.reduce((max, v) => Math.max(max, v.version), 0);
  const [staging, setStaging] = useState<number | null>(null);
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  if (versions.error instanceof ApiError && (versions.error.status === 404 || versions.error.status === 400)) {
    return (
      <section aria-labelledby="chain-missing">
        <h1 id="chain-missing">Chain not found</h1>
        <Link to="/app/chains">All chains</Link>
      </section>
    );
  }
  const diffTo = to ?? newest;
  const diffFrom = from ?? Math.max(diffTo - 1, 1);
  return (
    <section aria-labelledby="chain-title">
      <p>
        <Link to="/app/chains">← All chains</Link>
      </p>
      <h1 id="chain-title">Chain {name}</h1>
      <ErrorNote error={versions.error} />
      {list.length > 0 && (
        <table>
          <caption>Versions</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Files</th>
              <th scope="col">Uploaded</th>
              <th scope="col">On the box</th>
              <th scope="col">Staging</th>
            </tr>
          </thead>
          <tbody>
            {list.map((v) => (
              <tr key={v.id}>
                <td>
                  v{v.version} <code className="muted">{v.contentHash.slice(0, 12)}</code>
                </td>
                <td>
                  <span className={`status status-${v.status}`}>{v.status}</span>
                </td>
                <td>{[v.fileName, ...v.files].join(', ')}</td>
                <td>{new Date(v.createdAt).toLocaleString()}</td>
                <td>{v.syncedAt ? new Date(v.syncedAt).toLocaleString() : 'not yet'}</td>
                <td>
                  <button type="button" aria-pressed={staging === v.version} onClick={() => setStaging(v.version)}>
                    Staging of v{v.version}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {staging !== null && <StagingResult chainId={id} version={staging} />}
      {newest > 1 && (
        <section aria-labelledby="diff-title">
          <h2 id="diff-title">Compare versions</h2>
          <div className="filters">
            <label htmlFor="diff-from">From</label>
            <select id="diff-from" value={diffFrom} onChange={(e) => setFrom(Number(e.target.value))}>
              {list.map((v) => (
                <option key={v.id} value={v.version}>
                  v{v.version}
                </option>
              ))}
            </select>
            <label htmlFor="diff-to">To</label>
            <select id="diff-to" value={diffTo} onChange={(e) => setTo(Number(e.target.value))}>
              {list.map((v) => (
                <option key={v.id} value={v.version}>
                  v{v.version}
                </option>
              ))}
            </select>
          </div>
          <VersionDiff chainId={id} from={diffFrom} to={diffTo} />
        </section>
      )}
    </section>
  );
}
