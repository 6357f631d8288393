import { useQuery } from '@tanstack/react-query';
import { api } from '../api/http';
import { ErrorNote } from '../ui/layout';
import { DiffView } from './diff-view';
import type { ChainDiff } from './types';

/** What changed between two versions of a chain, file by file (the API computes the unified diffs). */
export function VersionDiff(props: { chainId: string; from: number; to: number }) {
  const diff = useQuery({
    queryKey: ['chain-diff', props.chainId, props.from, props.to],
    queryFn: () =>
      api<ChainDiff>(`/v1/chains/${encodeURIComponent(props.chainId)}/versions/${props.from}/diff/${props.to}`),
    enabled: props.from !== props.to,
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (props.from === props.to) return <p className="muted">Choose two different versions.</p>;
  return (
    <div data-testid="version-diff">
      <ErrorNote error={diff.error} />
      {diff.data?.files.map((file) => (
        <section key={file.path} aria-label={`${file.path}: ${file.change}`}>
          <h3>
            {file.path} <span className="muted">({file.change})</span>
          </h3>
          {file.diff ? <DiffView path={file.path} patch={file.diff} /> : <p className="muted">Unchanged.</p>}
        </section>
      ))}
    </div>
  );
}
