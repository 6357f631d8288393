import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, query } from '../api/http';
import { Link } from '../router';
import { ErrorNote } from '../ui/layout';
import type { ChainList } from './types';
import { CursorPager } from '../ui/cursor-pager';

const PAGE = 50;

/** The workspace's chains (uploaded with the CLI or the API), each with its newest version and whether one is active. */
export default function ChainsPage() {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const chains = useQuery({
    queryKey: ['chains', cursor],
    queryFn: () => api<ChainList>(`/v1/chains${query({ cursor, limit: PAGE })}`),
    placeholderData: keepPreviousData,
  });
  return (
    <section aria-labelledby="chains-title">
      <h1 id="chains-title">Chains</h1>
      <ErrorNote error={chains.error} />
      {chains.data &&
        (chains.data.chains.length === 0 ? (
          <p>No chains yet: upload one with `paddock chains push` or POST /v1/chains.</p>
        ) : (
          <table>
            <caption className="visually-hidden">Chains</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Newest version</th>
                <th scope="col">Active</th>
                <th scope="col">Changed</th>
              </tr>
            </thead>
            <tbody>
              {chains.data.chains.map((chain) => (
                <tr key={chain.id}>
                  <td>
                    <Link to={`/app/chains/${chain.id}`}>{chain.name}</Link>
                    {chain.description && <div className="muted">{chain.description}</div>}
                  </td>
                  <td>{chain.latestVersion ?? '—'}</td>
                  <td>{chain.activeVersionId ? 'yes' : 'no'}</td>
                  <td>{new Date(chain.updatedAt).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      <CursorPager cursors={cursors} setCursors={setCursors} nextCursor={chains.data?.nextCursor} />
    </section>
  );
}
