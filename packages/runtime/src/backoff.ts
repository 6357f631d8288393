import { type AgentStep, durationMs } from '@paddock/contracts';

const DEFAULT_DELAY_MS = 1_000;
const DEFAULT_MAX_MS = 60_000;

/** Delay before attempt n+1 after `failures` failed attempts (1-based): fixed for a string, exponential for an object. */
export function backoffMs(step: AgentStep, failures: number): number {
  const backoff = step.backoff;
  if (backoff === undefined) return Math.min(DEFAULT_DELAY_MS * 2 ** (failures - 1), DEFAULT_MAX_MS);
  if (typeof backoff === 'string') return durationMs(backoff);
  const raw = durationMs(backoff.delay) * backoff.factor ** (failures - 1);
  return Math.min(raw, backoff.max ? durationMs(backoff.max) : Number.POSITIVE_INFINITY);
}
