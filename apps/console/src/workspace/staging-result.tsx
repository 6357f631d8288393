import { useQuery } from '@tanstack/react-query';
import { api } from '../api/http';
import { ErrorNote } from '../ui/layout';
import type { ChainStaging } from './types';

/** A version's staging: each reference case's run and checks, refreshed while staging has not finished. */
export function StagingResult(props: { chainId: string; version: number }) {
  const staging = useQuery({
    queryKey: ['chain-staging', props.chainId, props.version],
    queryFn: () =>
      api<ChainStaging>(`/v1/chains/${encodeURIComponent(props.chainId)}/versions/${props.version}/staging`),
    refetchInterval: (query) => (query.state.data?.status === 'staging' ? 5_000 : false),
  });
  const data = staging.data;
  return (
    <section className="card" aria-labelledby="staging-title">
      <h2 id="staging-title">Staging of v{props.version}</h2>
      <ErrorNote error={staging.error} />
      {data && (
        <>
          <p>
            Status {data.status}
            {data.active ? ' · the active version' : ''}
            {data.lastKnownGood ? ' · last known good' : ''}
            {data.override ? ` · made active without passing: ${data.override.reason}` : ''}
          </p>
          {data.referenceInputs.length === 0 && <p className="muted">This version has no staging cases.</p>}
          {data.referenceInputs.length > 0 && !data.result && <p className="muted">Staging has not finished.</p>}
          {data.result && (
            <>
              <p>
                <strong>{data.result.passed ? 'Passed' : 'Failed'}</strong>
                {data.result.error ? `: ${data.result.error}` : ''} · finished{' '}
                {new Date(data.result.finishedAt).toLocaleString()}
              </p>
              <ul>
                {data.result.references.map((ref) => (
                  <li key={ref.name}>
                    {ref.name}: {ref.passed ? 'passed' : 'failed'} (run {ref.runStatus ?? 'unknown'})
                    {ref.error ? ` — ${ref.error}` : ''}
                    <ul>
                      {ref.checks.map((check, i) => (
                        // biome-ignore lint/suspicious/noArrayIndexKey: checks are a fixed list in upload order
                        <li key={i}>
                          {check.step} {check.kind}:{' '}
                          {check.passed ? 'passed' : `failed${check.detail ? ` (${check.detail})` : ''}`}
                        </li>
                      ))}
                    </ul>
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}
