import type { RunEvent } from '@paddock/contracts';
import type { BoxChannelError } from './box-channel-error';
import type { OpenTransport } from './box-channel-transport';
import type { RejectedEvent } from './rejected-lines';

// What a BoxChannel's user configures and gets back (box-channel.ts).

export interface BoxChannelOptions {
  boxId: string;
  open: OpenTransport;
  /** Longest wait for one answer. Default 30 s. */
  requestTimeoutMs?: number;
  /** Longest wait from starting the transport to the runtime's hello line. Default 20 s (an SSH exec + node start). */
  openTimeoutMs?: number;
  /** Waits between attempts to reopen a dropped channel that has subscriptions: doubling from initial to max. */
  reopenDelayMs?: { initial: number; max: number };
  /**
   * A longer line is discarded up to its newline (never buffered) and reported: to its subscription when it was an
   * event, as a failed request when it was an answer. Default MAX_SERVE_LINE_BYTES.
   */
  maxLineBytes?: number;
  /**
   * Channel life for logs and metrics: opened, dropped (with why), a reopen attempt failed, a line discarded that
   * nothing could be told about (no subscription or request named in its first bytes).
   */
  onState?: (state: 'open' | 'dropped' | 'reopen_failed' | 'line_discarded', detail: string) => void;
  /**
   * A reopen was scheduled: the how-manieth since the channel was last open, and the wait before it (the backoff
   * an unreachable box gets, kept by the collector in Postgres for operators).
   */
  onReopenScheduled?: (attempt: number, delayMs: number) => void;
}

export interface SubscribeOptions {
  /**
   * Where the stream (re)starts: asked at every (re)subscription, so a channel reopened after a drop resumes from
   * what the consumer committed, not from what it was merely sent.
   */
  resumeFrom: () => Promise<string | undefined> | string | undefined;
  runId?: string;
  /** `bytes`: the size of the serve line that carried it (for the consumer's own accounting of what it buffers). */
  onEvent: (event: RunEvent, cursor: string, bytes: number) => void;
  /**
   * An event of this subscription that cannot be delivered: its line was longer than the limit, or it does not match
   * the event schema. Told in stream order, with its cursor when the line said it, so the consumer can record it and
   * move past it. Without this handler such an event makes the stream restart from the committed cursor.
   */
  onRejected?: (rejected: RejectedEvent) => void;
  /** Called before every resubscription: events delivered but not committed by then will be delivered again. */
  onRestart?: () => void;
  /**
   * The runtime refused the cursor (its journal was reset: a reinstalled box). Returns where to start instead; the
   * subscription is retried once from there. Without it the refusal is an error and the channel keeps retrying.
   */
  onCursorRefused?: (cursor: string, error: BoxChannelError) => Promise<string | undefined>;
}

export interface BoxSubscription {
  /** Drops the stream and starts it again from `resumeFrom()` (a consumer that suspects the stream is stuck). */
  restart(): Promise<void>;
  close(): Promise<void>;
}
