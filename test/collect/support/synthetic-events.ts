import { createHash } from 'node:crypto';
import type { RunEvent } from '@paddock/contracts';
import { runEvents } from './seed';

/** The content hash a synthetic chain's runs name (what `seedChain(pool, tenant, name)` stores by default). */
export function chainHash(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/**
 * The events of a succeeded run of `steps` agent steps, as the runtime writes them: created, then started and
 * complete (with tokens and cost) per step, then finished. 2 + 2 x steps events.
 */
export function succeededRun(runId: string, chain: string, steps: number, start = Date.UTC(2026, 0, 1)): RunEvent[] {
  const perStep = Array.from({ length: steps }, (_, i) => [
    { step: `s${i}`, kind: 'started' as const, status: 'running' as const, attempt: 1, model: 'm-a' },
    {
      step: `s${i}`,
      kind: 'complete' as const,
      status: 'complete' as const,
      attempt: 1,
      model: 'm-a',
      input_tokens: 100 + i,
      output_tokens: 20,
      tokens_used: 120 + i,
      cost_usd: 0.0015,
      duration_seconds: 0.5,
      exit_code: 0,
      output_path: `/var/lib/paddock/runs/${runId}/steps/s${i}/output`,
    },
  ]).flat();
  return runEvents(
    runId,
    [
      { step: '_run', kind: 'created', status: 'queued', data: { chain, chain_version: `sha256:${chainHash(chain)}` } },
      ...perStep,
      { step: '_run', kind: 'finished', status: 'succeeded' },
    ],
    start,
  );
}

/** NDJSON lines of events, each with a cursor field as `chainctl events --json` prints them. */
export function* ndjsonLines(events: Iterable<RunEvent>): Generator<string> {
  let n = 0;
  for (const event of events) yield `${JSON.stringify({ ...event, cursor: `c${++n}` })}\n`;
}
