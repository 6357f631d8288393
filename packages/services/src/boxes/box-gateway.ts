import { AppError, type ErrorCode, type ProtocolOp, STEP_NAME_PATTERN } from '@paddock/contracts';
import {
  BoxChannel,
  BoxChannelError,
  FleetError,
  type BoxRequest,
  type BoxRequestFor,
  type ProtocolResult,
} from '@paddock/fleet';
import { type BoxTerminal, type BoxTerminalHandlers, type BoxTerminalRequest, openBoxTerminal } from './box-terminal';
import { capBytes } from './cap-bytes';
import { type AskBox, settleCancel, settleDecide } from './settle-after-drop';
import type { BoxFile, GatewayConnector } from './connector-contract';

export type { BoxFile, GatewayConnector, StepOutputRef } from './connector-contract';

export interface BoxGatewayOptions {
  connector: GatewayConnector;
  /** Longest wait for one answer of a box. Default 15 s. */
  requestTimeoutMs?: number;
  /** Longest wait for a channel to open (SSH dial + runtime start). Default 20 s. */
  openTimeoutMs?: number;
  /** A channel unused this long is closed. Default 5 minutes. */
  idleCloseMs?: number;
}

interface OpenChannel {
  channel: BoxChannel;
  lastUsedAt: number;
  inFlight: number;
}

/** What settles an action whose channel dropped, by the box's record of it; undefined for actions that cannot be. */
function settleAfterDrop(ask: AskBox, input: BoxRequest): Promise<unknown> | undefined {
  // Without a decider the box records its own default, which cannot be told apart from someone else's decision.
  if (input.op === 'decide' && input.by !== undefined) return settleDecide(ask, input);
  if (input.op === 'cancel') return settleCancel(ask, input);
  return undefined;
}

/** Read-only operations: repeating one on a fresh channel after a drop cannot do anything twice. */
const REPEATABLE: ReadonlySet<ProtocolOp> = new Set(['health', 'validate', 'status', 'list', 'events']);
const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The API's way to ask a tenant's box something or make it act: one lazily opened `chainctl serve --stdio` channel
 * per box, shared by every request of this process, closed when idle and reopened after a drop. Failures come back
 * as AppErrors the HTTP layer understands: the box not answering is 503 `box_unavailable`; the runtime's own refusals
 * keep their meaning (not_found 404, validation 422, conflict 409, forbidden 403).
 */
export class BoxGateway {
  private channels = new Map<string, OpenChannel>();
  private terminals = new Set<BoxTerminal>();
  private sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: BoxGatewayOptions) {
    const idle = options.idleCloseMs ?? 5 * 60_000;
    this.sweeper = setInterval(() => void this.closeIdle(idle), Math.max(50, Math.min(idle / 2, 30_000)));
    this.sweeper.unref();
  }

  /**
   * The longest one request can take (callers holding a lock or lease size it by this): opening the channel and the
   * answer, and for a decide or cancel whose channel dropped, settling it too (reopen, status, events, one more send).
   */
  get longestRequestMs(): number {
    return 2 * (this.options.openTimeoutMs ?? 20_000) + 4 * (this.options.requestTimeoutMs ?? 15_000);
  }

  /** Open channels, by box id (for tests and metrics). */
  get openBoxes(): string[] {
    return [...this.channels.entries()].filter(([, c]) => c.channel.isOpen).map(([id]) => id);
  }

  async request<O extends ProtocolOp>(boxId: string, input: BoxRequestFor<O>): Promise<ProtocolResult<O>> {
    const ask: AskBox = (request) => this.using(boxId, (channel) => channel.request(request));
    try {
      return await ask(input);
    } catch (error) {
      if (!(error instanceof BoxChannelError && error.failure === 'channel_closed')) throw boxError(boxId, error);
      // A channel that dropped between two requests is noticed only by the next one. A read is asked again once; a
      // decide or cancel is settled by what the box recorded, so it is never applied twice (settle-after-drop.ts).
      try {
        if (REPEATABLE.has(input.op)) return await ask(input);
        const settled = settleAfterDrop(ask, input as BoxRequest);
        if (settled) return (await settled) as ProtocolResult<O>;
      } catch (again) {
        throw boxError(boxId, again);
      }
      throw boxError(boxId, error);
    }
  }

  /**
   * The output file of one step of a run, at most `maxBytes` of it. Only validated names reach the connector, which
   * reads `<runtime root>/runs/<run>/steps/<step>/output` (or, for one attempt, `.../steps/<step>/attempts/<n>/output`)
   * as the runtime user, so nothing else on the box can be read.
   */
  async readStepOutput(
    boxId: string,
    runtimeRunId: string,
    step: string,
    maxBytes: number,
    attempt?: number,
  ): Promise<BoxFile | undefined> {
    if (!RUN_ID_PATTERN.test(runtimeRunId) || !STEP_NAME_PATTERN.test(step)) return undefined;
    if (attempt !== undefined && !(Number.isSafeInteger(attempt) && attempt >= 1 && attempt <= 2_147_483_647)) {
      return undefined;
    }
    let file: BoxFile | undefined;
    try {
      file = await this.options.connector.readFile(
        boxId,
        {
          runId: runtimeRunId,
          step,
          ...(attempt === undefined ? {} : { attempt }),
          root: () => this.runtimeRoot(boxId),
        },
        maxBytes,
      );
    } catch (error) {
      throw boxError(boxId, error);
    }
    // The box was asked for maxBytes; whatever it sends, no more than that goes on.
    return file && { size: file.size, stream: capBytes(file.stream, maxBytes) };
  }

  /**
   * A step's terminal on the box, replayed and followed (box-terminal.ts), on a serve channel of its own. Only
   * validated names reach the box; an unknown run, step or attempt is the box's `not_found`.
   */
  async openTerminal(boxId: string, request: BoxTerminalRequest, handlers: BoxTerminalHandlers): Promise<BoxTerminal> {
    if (this.closed) throw new AppError('box_unavailable', 'The API is shutting down.');
    if (!RUN_ID_PATTERN.test(request.runtimeRunId) || !STEP_NAME_PATTERN.test(request.step)) {
      throw new AppError('not_found', `There is no terminal for step ${request.step}.`);
    }
    let terminal: BoxTerminal;
    try {
      terminal = await openBoxTerminal({
        boxId,
        open: this.options.connector.transport(boxId),
        request,
        handlers: {
          onChunk: handlers.onChunk,
          onEnd: (end) => {
            this.terminals.delete(terminal);
            handlers.onEnd(end);
          },
        },
        openTimeoutMs: this.options.openTimeoutMs ?? 20_000,
        requestTimeoutMs: this.options.requestTimeoutMs ?? 15_000,
      });
    } catch (error) {
      throw boxError(boxId, error);
    }
    this.terminals.add(terminal);
    const close = terminal.close;
    return {
      ...terminal,
      close: async () => {
        this.terminals.delete(terminal);
        await close();
      },
    };
  }

  /** Closes every channel (API shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const terminals = [...this.terminals];
    this.terminals.clear();
    await Promise.all(terminals.map((t) => t.close().catch(() => {})));
    const open = [...this.channels.values()];
    this.channels.clear();
    await Promise.all(open.map((c) => c.channel.close().catch(() => {})));
  }

  private async runtimeRoot(boxId: string): Promise<string> {
    let root: string | undefined;
    try {
      root = await this.using(boxId, async (channel) => {
        await channel.connect();
        return channel.hello?.root;
      });
    } catch (error) {
      throw boxError(boxId, error);
    }
    if (!root?.startsWith('/'))
      throw new AppError('box_unavailable', `Box ${boxId} did not say where its runtime lives.`);
    return root.replace(/\/+$/, '');
  }

  /** Runs `work` on the box's channel; a channel with work in flight is never closed as idle. */
  private async using<T>(boxId: string, work: (channel: BoxChannel) => Promise<T>): Promise<T> {
    const open = this.channelFor(boxId);
    open.inFlight++;
    try {
      return await work(open.channel);
    } finally {
      open.inFlight--;
      open.lastUsedAt = Date.now();
    }
  }

  private channelFor(boxId: string): OpenChannel {
    if (this.closed) throw new AppError('box_unavailable', 'The API is shutting down.');
    const existing = this.channels.get(boxId);
    if (existing) return existing;
    const channel = new BoxChannel({
      boxId,
      open: this.options.connector.transport(boxId),
      requestTimeoutMs: this.options.requestTimeoutMs ?? 15_000,
      openTimeoutMs: this.options.openTimeoutMs ?? 20_000,
    });
    const open: OpenChannel = { channel, lastUsedAt: Date.now(), inFlight: 0 };
    this.channels.set(boxId, open);
    return open;
  }

  private async closeIdle(idleMs: number): Promise<void> {
    const now = Date.now();
    for (const [boxId, open] of this.channels) {
      if (open.inFlight > 0 || now - open.lastUsedAt < idleMs) continue;
      this.channels.delete(boxId);
      await open.channel.close().catch(() => {});
    }
  }
}

const REMOTE_CODES: Record<string, ErrorCode> = {
  not_found: 'not_found',
  validation_failed: 'unprocessable',
  bad_request: 'unprocessable',
  conflict: 'conflict',
  forbidden: 'forbidden',
};

/** A box failure as the API reports it. The runtime's messages are kept: they name the run, step or option. */
export function boxError(boxId: string, error: unknown): AppError {
  // A changed host key is not a passing outage: the tenant is told so (the recorder has alerted the operators).
  const hostKey = hostKeyRefusal(error);
  if (hostKey) {
    return new AppError(
      'box_host_key_changed',
      `The workspace's box presented an unexpected SSH host key, so the control plane will not talk to it until an operator has checked the box and confirmed its key.`,
      { cause: hostKey },
    );
  }
  if (error instanceof BoxChannelError) {
    if (error.failure === 'remote_error') {
      const code = REMOTE_CODES[error.remoteCode ?? ''] ?? 'unprocessable';
      return new AppError(code, error.message.replace(/^Box [^:]+: /, ''), { cause: error });
    }
    return new AppError('box_unavailable', `The workspace's box is not answering (${error.failure}); try again.`, {
      cause: error,
    });
  }
  if (error instanceof AppError) {
    // Loading the box's SSH target: a box without address or keys cannot be reached either.
    return error.code === 'unprocessable' || error.code === 'not_found'
      ? new AppError('box_unavailable', `Box ${boxId} cannot be reached yet.`, { cause: error })
      : error;
  }
  return new AppError('box_unavailable', `The workspace's box is not answering; try again.`, { cause: error });
}

/** The fleet's host-key refusal anywhere in an error's cause chain (a serve channel that could not open wraps it). */
function hostKeyRefusal(error: unknown): FleetError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof FleetError && current.failure === 'host_key_mismatch') return current;
    current = current.cause;
  }
  return undefined;
}
