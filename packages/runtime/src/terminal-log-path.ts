import { ptyLogPath, type RunLayout } from './paths';

/**
 * Where one attempt of a step keeps its terminal: its own `attempts/<n>/pty.log` (paths.ts), never moved or
 * overwritten by a later attempt. The one place the terminal stream asks.
 */
export function terminalLogPath(run: RunLayout, step: string, attempt: number): string {
  return ptyLogPath(run, step, attempt);
}

/**
 * The step's usual `pty.log` name: the current attempt's log, and the only log of a step that ran before attempts
 * had directories of their own (a run from an older release).
 */
export function usualTerminalLogPath(run: RunLayout, step: string): string {
  return ptyLogPath(run, step);
}
