/**
 * When to start a crashed program again: 1 s after its first crash, doubling while it keeps dying young, at most
 * 30 s; a program that ran for `stableAfterMs` before it died starts over at the first delay (a crash an hour later
 * is a new incident, not the next step of a crash loop).
 */
export interface RestartBackoffOptions {
  initialMs: number;
  maxMs: number;
  stableAfterMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoffOptions = {
  initialMs: 1_000,
  maxMs: 30_000,
  stableAfterMs: 30_000,
};

export class RestartBackoff {
  private next: number;

  constructor(private readonly options: RestartBackoffOptions = DEFAULT_RESTART_BACKOFF) {
    this.next = options.initialMs;
  }

  /** The wait before the next start, given how long the run that just ended lasted. */
  delayAfter(ranForMs: number): number {
    if (ranForMs >= this.options.stableAfterMs) this.next = this.options.initialMs;
    const delay = this.next;
    this.next = Math.min(this.options.maxMs, this.next * 2);
    return delay;
  }
}
