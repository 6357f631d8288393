import { useQuery } from '@tanstack/react-query';
import { ErrorNote } from '../ui/layout';
import { fetchText } from './fetch-text';

const MAX_BYTES = 65_536;

/** A finished attempt's output as the box keeps it (the first 64 KiB); an attempt's output never changes once kept. */
export function StepOutput(props: { runId: string; step: string; attempt: number }) {
  const path =
    `/v1/runs/${encodeURIComponent(props.runId)}/steps/${encodeURIComponent(props.step)}/output` +
    `?attempt=${props.attempt}&maxBytes=${MAX_BYTES}`;
  const output = useQuery({
    queryKey: ['step-output', props.runId, props.step, props.attempt],
    queryFn: () => fetchText(path),
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  });
  const bytes = Number(output.data?.headers.get('x-output-bytes') ?? 0);
  const truncated = output.data?.headers.get('x-output-truncated') === 'true';
  return (
    <figure className="output">
      <figcaption>
        Output of {props.step}, attempt {props.attempt}
        {truncated ? ` (first ${MAX_BYTES} of ${bytes} bytes)` : ''}
      </figcaption>
      {output.isPending && <p className="muted">Reading the output from the box…</p>}
      <ErrorNote error={output.error} />
      {output.data &&
        (output.data.text ? (
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling output must be reachable to scroll it by keyboard
          <pre tabIndex={0} data-testid="step-output">
            {output.data.text}
          </pre>
        ) : (
          <p className="muted">This attempt wrote no output.</p>
        ))}
    </figure>
  );
}
