import {
  AppError,
  MAX_TERMINAL_LINE_BYTES,
  type ProtocolTerminalEnd,
  type BoxStepStatus,
  type TerminalOpenResult,
  TERMINAL_REPLAY_BYTES,
} from '@paddock/contracts';
import { BoxChannel, type OpenTransport } from '@paddock/fleet';

/**
 * How a terminal stream ended: as the box said (`ended`: the attempt is over and every byte was sent; `stopped`;
 * `failed`: the box could not read on), or as the control plane decided: `limit` (the stream carried its byte
 * allowance), `box_lost` (the channel dropped), `protocol` (the box sent something that breaks the stream's rules:
 * a gap or overlap in offsets, a bad message).
 */
export interface BoxTerminalEnd {
  reason: 'ended' | 'stopped' | 'failed' | 'limit' | 'box_lost' | 'protocol';
  /** Where the stream stopped in the log: the next byte that was not sent. */
  offset: number;
  status: BoxStepStatus | null;
  message?: string;
}

export interface BoxTerminalHandlers {
  /** Bytes of the log at `offset`, in order, without gaps or overlaps (checked here). */
  onChunk(offset: number, data: Buffer): void;
  /** Called once, last. */
  onEnd(end: BoxTerminalEnd): void;
}

export interface BoxTerminalRequest {
  runtimeRunId: string;
  step: string;
  attempt?: number;
  /** The replay starts at most this many bytes before the log's end. Default TERMINAL_REPLAY_BYTES. */
  tailBytes?: number;
  /** Bytes the whole stream may carry. */
  maxBytes: number;
}

export interface BoxTerminal {
  opened: TerminalOpenResult;
  /** Starts delivering to the handlers (what came with the answer first): call it once the caller is ready. */
  begin(): void;
  /** Backpressure: stop reading the box (its serve process then waits on its pipe, reading no more of the log). */
  pause(): void;
  resume(): void;
  /** Ends the stream: the box's follow process gets EOF and exits. Idempotent. */
  close(): Promise<void>;
}

/**
 * Pushes held until `begin()`: those read with the answer or just after it (one SSH read, a few at most). A box that
 * sends more before the caller begins breaks the stream.
 */
const MAX_EARLY_CHUNKS = 32;
const STREAM = 't1';

/**
 * One terminal stream on its own `chainctl serve --stdio` process. Not the box's shared channel: pausing a shared
 * channel for one slow HTTP client would hold up every request and event of the box, whereas a channel of its own
 * can be paused freely (the bytes wait in the SSH window and the box's pipe, and the box's follow waits on them), and
 * closing it ends the follow on the box with the process. Everything the box sends is checked: chunk size (schema),
 * offsets contiguous from the announced start, the stream's total bytes.
 */
export async function openBoxTerminal(options: {
  boxId: string;
  open: OpenTransport;
  request: BoxTerminalRequest;
  handlers: BoxTerminalHandlers;
  openTimeoutMs: number;
  requestTimeoutMs: number;
}): Promise<BoxTerminal> {
  const { request, handlers } = options;
  const tailBytes = request.tailBytes ?? TERMINAL_REPLAY_BYTES;
  /** Set once the stream's outcome is known; told to the handlers (after anything held) once they begin. */
  let outcome: BoxTerminalEnd | undefined;
  let told = false;
  let opened: TerminalOpenResult | undefined;
  let begun = false;
  let expected = 0;
  let carried = 0;
  let status: BoxStepStatus | null = null;
  /** What the box sent with its answer, before the caller began. */
  const held: ({ offset: number; data: Buffer } | { end: ProtocolTerminalEnd })[] = [];

  const channel = new BoxChannel({
    boxId: options.boxId,
    open: options.open,
    openTimeoutMs: options.openTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    maxLineBytes: MAX_TERMINAL_LINE_BYTES,
    onState: (state, detail) => {
      if (state === 'dropped') finish({ reason: 'box_lost', offset: expected, status, message: detail });
    },
  });
  const tell = () => {
    if (!begun || told || !outcome) return;
    told = true;
    handlers.onEnd(outcome);
  };
  const finish = (end: BoxTerminalEnd) => {
    if (outcome) return;
    outcome = end;
    channel.forgetTerminal(STREAM);
    void channel.close();
    tell();
  };
  const broken = (why: string) => finish({ reason: 'protocol', offset: expected, status, message: why });
  const takeChunk = (offset: number, data: Buffer) => {
    if (outcome) return;
    if (offset !== expected) return broken(`the box sent bytes at ${offset}, expected ${expected}`);
    const room = request.maxBytes - carried;
    const piece = data.length <= room ? data : data.subarray(0, room);
    expected += piece.length;
    carried += piece.length;
    if (piece.length > 0) handlers.onChunk(offset, piece);
    if (carried >= request.maxBytes) {
      finish({
        reason: 'limit',
        offset: expected,
        status,
        message: `the stream carried its ${request.maxBytes} bytes`,
      });
    }
  };
  const takeEnd = (end: ProtocolTerminalEnd) => {
    if (outcome) return;
    status = end.status;
    if (end.offset !== expected) return broken(`the box ended at ${end.offset} after sending up to ${expected}`);
    finish({ reason: end.reason, offset: end.offset, status, ...(end.message ? { message: end.message } : {}) });
  };

  channel.listenTerminal(STREAM, {
    // The answer and the first pushes often arrive in one read: the lines after the answer are handled before the
    // awaited answer resumes this function, so they are held (bounded) rather than taken for a box that broke order.
    onChunk: (offset, data) => {
      if (begun) return takeChunk(offset, data);
      held.push({ offset, data });
      if (held.length > MAX_EARLY_CHUNKS) broken('the box sent too many terminal bytes at once');
    },
    onEnd: (end) => {
      if (begun) return takeEnd(end);
      held.push({ end });
    },
    onInvalid: broken,
  });

  const refuse = async (error: unknown): Promise<never> => {
    outcome ??= { reason: 'stopped', offset: 0, status: null };
    await channel.close();
    throw error;
  };
  try {
    opened = await channel.request({
      op: 'terminal',
      stream: STREAM,
      run_id: request.runtimeRunId,
      step: request.step,
      ...(request.attempt ? { attempt: request.attempt } : {}),
      tail_bytes: tailBytes,
    });
  } catch (error) {
    return refuse(error);
  }
  if (opened.stream !== STREAM || opened.start > opened.size || opened.size - opened.start > tailBytes) {
    return refuse(new AppError('box_unavailable', `Box ${options.boxId} answered a terminal request with nonsense.`));
  }
  expected = opened.start;
  return {
    opened,
    begin: () => {
      if (begun) return;
      begun = true;
      for (const item of held.splice(0)) {
        if ('end' in item) takeEnd(item.end);
        else takeChunk(item.offset, item.data);
      }
      tell();
    },
    pause: () => channel.pauseReading(),
    resume: () => channel.resumeReading(),
    close: async () => {
      if (!outcome) {
        outcome = { reason: 'stopped', offset: expected, status };
        told = true; // the caller closed it: nothing to tell
        channel.forgetTerminal(STREAM);
      }
      await channel.close();
    },
  };
}
