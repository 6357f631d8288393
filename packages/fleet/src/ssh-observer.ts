import { type FleetFailure, FleetError } from './errors';

/**
 * What the SSH layer tells whoever watches it (the apps' metrics): connections as they open and close, dials that
 * failed, and each remote command's duration and outcome. The fleet package knows no metrics library; an app passes
 * an observer to its `SshPool`. Calls are synchronous and must not throw: a watcher never slows or fails a command.
 */
export interface SshObserver {
  connectionOpened?(): void;
  connectionClosed?(): void;
  /** A dial that did not end in a connection, by the fleet's failure code (`host_key_mismatch`, `connect_timeout`...). */
  connectFailed?(failure: FleetFailure | 'other'): void;
  commandFinished?(event: SshCommandEvent): void;
}

export interface SshCommandEvent {
  /** `exec`: a command run to its end (scripts too); `spawn`: a long-running channel, timed to when it opened. */
  kind: 'exec' | 'spawn';
  outcome: 'ok' | 'failed' | 'timeout' | 'lost';
  durationMs: number;
}

export const noObserver: SshObserver = {};

/** Calls an observer hook, keeping any mistake of the watcher away from the command it watches. */
export function notify(observer: SshObserver, call: (o: SshObserver) => void): void {
  try {
    call(observer);
  } catch {
    // A broken metric must not fail a deploy; the metric simply misses this event.
  }
}

/** How a failed command ended, for the observer: out of time, link dropped, or refused / non-zero exit. */
export function commandOutcome(error: unknown): SshCommandEvent['outcome'] {
  if (error instanceof FleetError) {
    if (error.failure === 'exec_timeout') return 'timeout';
    if (error.failure === 'connection_lost') return 'lost';
  }
  return 'failed';
}
