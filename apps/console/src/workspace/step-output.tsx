import { useQuery } from '@tanstack/react-query';
import { ErrorNote } from '../ui/layout';
import { fetchText } from './fetch-text';

const MAX_BYTES = 65_536;

/** One attempt's output as the box keeps it (the first 64 KiB), refreshed while the step is not finished. */
export function StepOutput(props: { runId: string; step: string; attempt: number; finished: boolean }) {
  const path =
    `/v1/runs/${encodeURIComponent(props.runId)}/steps/${encodeURIComponent(props.step)}/output` +
    `?attempt=${props.attempt}&maxBytes=${MAX_BYTES}`;
  const output = useQuery({
    // `finished` in the key: the output is read once more when the attempt ends, then kept.
    queryKey: ['step-output', props.runId, props.step, props.attempt, props.finished],
    queryFn: () => fetchText(path),
    retry: false,
    staleTime: props.finished ? Number.POSITIVE_INFINITY : 0,
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
