import { setTimeout as sleep } from 'node:timers/promises';

export interface ProbeResult {
  label: string;
  workerId: string;
  heldMs: number;
}

/** Holds a worker for `durationMs` (abortable), so operators can watch a job travel API → queue → worker → Postgres. */
export async function runProbe(
  input: { label: string; durationMs: number },
  context: { workerId: string; signal: AbortSignal },
): Promise<ProbeResult> {
  const started = performance.now();
  await sleep(input.durationMs, undefined, { signal: context.signal });
  return { label: input.label, workerId: context.workerId, heldMs: Math.round(performance.now() - started) };
}
