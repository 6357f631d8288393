import { type RunLayout, stepLayout } from './paths';

/**
 * Where one attempt of a step keeps its terminal (pty.log). The one place the terminal stream asks, so that when
 * every attempt keeps its own log (a per-attempt path in paths.ts) only this function changes.
 *
 * Today the current attempt writes `pty.log`, and each new attempt rotates the older logs to `pty.log.1` (the
 * previous attempt) up to `pty.log.5` (prepare-step.ts). Undefined when that attempt's log is no longer kept.
 */
export function terminalLogPath(
  run: RunLayout,
  step: string,
  attempt: number,
  currentAttempt: number,
): string | undefined {
  const log = stepLayout(run, step).ptyLog;
  const back = Math.max(currentAttempt, 1) - attempt;
  if (back === 0) return log;
  if (back < 0 || back > KEPT_ROTATED_LOGS) return undefined;
  return `${log}.${back}`;
}

/** How many rotated logs prepare-step.ts keeps beside the current one. */
const KEPT_ROTATED_LOGS = 5;
